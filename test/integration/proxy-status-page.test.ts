import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { which } from "../helpers/processes.js";
import { type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The admin listener's status page in a real browser (Debian's chromium driven by playwright-core; no
 * browser is downloaded): behind the admin password it loads, shows every backend's address and state,
 * draws one lag path per replica, and fetches nothing but its own /status. Saves a screenshot.
 */

const CHROMIUM = which("chromium");
const SKIP = CHROMIUM === null ? "Debian's chromium is not installed (apt-get install -y chromium)" : false;
const PW = "status-page-pw";

describe("proxy status page", { skip: SKIP }, () => {
  let d: Deployment;
  let browser: Browser;

  before(async () => {
    d = await startDeployment({ kind: "tandem", proxyYaml: `admin:\n  password: ${PW}` });
    browser = await chromium.launch({ executablePath: CHROMIUM as string, args: ["--no-sandbox"] });
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  it("shows the topology, every backend's state and a lag chart per replica", async (t) => {
    const origin = `http://127.0.0.1:${d.proxy.adminPort}`;
    const replicas = d.replicas.map((r) => `127.0.0.1:${r.port}`);
    const all = [`127.0.0.1:${d.master.port}`, ...replicas];
    // Every replica eligible first, so the page has a settled state to show.
    await waitFor("every replica eligible", async () => {
      const s = (await (await d.proxy.admin("/status", PW)).json()) as { backends: { eligible: string }[] };
      return s.backends.every((b) => b.eligible === "yes");
    });
    const context = await browser.newContext({
      httpCredentials: { username: "ops", password: PW },
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      const elsewhere: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(`${origin}/`)) elsewhere.push(r.url());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      const res = await page.goto(`${origin}/`);
      assert.equal(res?.status(), 200);
      // Polled through locators (the page's CSP forbids evaluating strings, and this project has no DOM types).
      const rows = page.locator("#backends tbody tr");
      await waitFor("a row per backend", async () => (await rows.count()) === all.length);
      for (const [i, address] of all.entries()) {
        const row = page.locator(`#backends tbody tr[data-address="${address}"]`);
        assert.equal(await row.count(), 1, `a row for ${address}`);
        assert.equal(await row.locator("td.state").textContent(), "up");
        assert.equal(await row.locator("td.eligible").textContent(), "eligible");
        assert.equal(await row.locator("td.breaker").textContent(), "closed");
        assert.equal(await row.locator("td.drain").textContent(), "none");
        const node = page.locator(`#topology [data-address="${address}"]`);
        assert.match((await node.textContent()) ?? "", i === 0 ? /master/ : /replica/);
      }
      for (const address of replicas) {
        const path = page.locator(`svg.lag-chart[data-replica="${address}"] path.lag-line`);
        assert.equal(await path.count(), 1, `one lag path for ${address}`);
        assert.match((await path.getAttribute("d")) ?? "", /^M[\d.]+ [\d.]+/);
      }
      assert.equal(await page.locator("svg.lag-chart").count(), replicas.length);
      // It keeps polling /status: the "updated" time changes.
      const first = await page.locator("#updated").textContent();
      await waitFor(
        "the page to read /status again",
        async () => (await page.locator("#updated").textContent()) !== first,
      );
      assert.deepEqual(elsewhere, [], "the page fetches nothing but the admin listener");
      assert.deepEqual(errors, [], "no script errors");
      const shot = join(mkdtempSync(join(tmpdir(), "tandem-status-page-")), "status-page.png");
      await page.screenshot({ path: shot, fullPage: true });
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await context.close();
    }
  });
});
