import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort } from "../helpers/free-port.js";
import { REPO_ROOT, trackChild } from "../helpers/processes.js";

/**
 * The README's walkthrough, run as written: every ```console block of the "Walkthrough" section is a
 * transcript (`$ command`, then its output). Each command runs in a scratch directory holding copies of
 * config/ with the ports 6379-6381, 7379 and 7380 replaced by free ones (in the commands and the expected
 * output too), with FAKETTY set so `tandem cli` prints as on a terminal. Output is compared line by line
 * with numbers and 40-hex IDs masked; `…` accepts any output. `cmd &` runs in the background and
 * `kill %n` stops the n-th of those; a command that cannot connect yet is retried for a few seconds.
 */

interface Step {
  cmd: string;
  expected: string[];
}

function walkthroughSteps(): Step[] {
  const text = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = text.indexOf("## Walkthrough");
  const section = text.slice(start, text.indexOf("\n## ", start + 5));
  const steps: Step[] = [];
  for (const m of section.matchAll(/```console\n([\s\S]*?)```/g)) {
    for (const line of m[1].split("\n")) {
      if (line.startsWith("$ ")) steps.push({ cmd: line.slice(2), expected: [] });
      else if (line !== "" && steps.length > 0) steps[steps.length - 1].expected.push(line);
    }
  }
  return steps;
}

const mask = (line: string) => line.replace(/\b[0-9a-f]{40}\b/g, "<id>").replace(/\d+/g, "<n>");

describe("README walkthrough", () => {
  const background: ChildProcess[] = [];
  let dir = "";

  after(async () => {
    for (const p of background) if (p.exitCode === null) p.kill("SIGTERM");
    // Servers the walkthrough daemonized and did not shut down (a failed step): by their pidfiles.
    if (dir !== "") {
      for (const f of readdirSync(join(dir, "var")).filter((n) => n.endsWith(".pid"))) {
        const pid = Number(readFileSync(join(dir, "var", f), "utf8"));
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  });

  it("every command of the walkthrough gives the output shown", async (t) => {
    const steps = walkthroughSteps();
    assert.ok(steps.length >= 20, `the walkthrough has ${steps.length} commands`);
    const ports = new Map<string, string>();
    for (const p of ["6379", "6380", "6381", "7379", "7380"]) ports.set(p, String(await freePort()));
    const subst = (s: string) => s.replace(/\b(6379|6380|6381|7379|7380)\b/g, (p) => ports.get(p) as string);
    dir = mkdtempSync(join(tmpdir(), "tandem-walkthrough-"));
    mkdirSync(join(dir, "config"));
    mkdirSync(join(dir, "var"));
    for (const f of readdirSync(join(REPO_ROOT, "config")))
      writeFileSync(join(dir, "config", f), subst(readFileSync(join(REPO_ROOT, "config", f), "utf8")));
    symlinkSync(join(REPO_ROOT, "bin"), join(dir, "bin"));
    const env = { ...process.env, FAKETTY: "1" };

    for (const step of steps) {
      const cmd = subst(step.cmd);
      if (cmd.endsWith(" &")) {
        const p = spawn("bash", ["-c", `exec ${cmd.slice(0, -2)}`], { cwd: dir, env, stdio: "ignore" });
        trackChild(p);
        background.push(p);
        continue;
      }
      const job = /^kill %(\d+)$/.exec(cmd);
      if (job) {
        const p = background[Number(job[1]) - 1];
        assert.ok(p, `no background job ${job[1]}`);
        const exited = new Promise((r) => p.once("exit", r));
        p.kill("SIGTERM");
        await exited;
        continue;
      }
      let r = spawnSync("bash", ["-c", cmd], { cwd: dir, env, encoding: "utf8", timeout: 20_000 });
      // A server or proxy started just before may not listen yet: wait for it (bounded).
      for (
        let i = 0;
        i < 100 && /Could not connect|not reachable|ECONNREFUSED/.test(r.stdout + r.stderr);
        i++
      ) {
        await new Promise((res) => setTimeout(res, 100));
        r = spawnSync("bash", ["-c", cmd], { cwd: dir, env, encoding: "utf8", timeout: 20_000 });
      }
      // INFO is printed as the server sent it, with CRLF line ends (as redis-cli does).
      const out = r.stdout.split(/\r?\n/).filter((l) => l !== "");
      assert.equal(r.status, 0, `$ ${step.cmd}\nexit ${r.status}\n${r.stdout}${r.stderr}`);
      if (step.expected.length === 1 && step.expected[0] === "…") {
        assert.ok(out.length > 0, `$ ${step.cmd} printed nothing`);
        continue;
      }
      assert.deepEqual(
        out.map(mask),
        step.expected.map((l) => mask(subst(l))),
        `$ ${step.cmd}\n${r.stdout}${r.stderr}`,
      );
    }
    t.diagnostic(`${steps.length} commands of the README walkthrough ran as shown`);
  });
});
