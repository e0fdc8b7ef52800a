import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NO_REDIS, TANDEM_BIN, trackChild } from "../helpers/processes.js";
import { type Deployment, startDeployment } from "../helpers/proxy-deployment.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * The proxy's admin listener against real deployments: /metrics is valid Prometheus text exposition (a
 * strict parser below) with every backend's metrics and plausible values that move with the traffic,
 * lag and drain; /status lists every backend; the admin password guards every route; an admin port that
 * cannot be bound stops start-up naming the address.
 */

// ─── a strict parser of the text exposition format (version 0.0.4) ──────────────────────────────────────

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  type: string;
  help: string | null;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/** A sample value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function parseValue(s: string, line: string): number {
  if (/^\+?inf(inity)?$/i.test(s)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(s)) return Number.NEGATIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  assert.match(s, /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, `not a number: ${line}`);
  return Number(s);
}

/** Label pairs `{a="x",b="y"}` (escapes \\ \" \n only); returns the labels and where the value starts. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at + 1;
  if (line[i] === "}") return { labels, end: i + 1 };
  for (;;) {
    const eq = line.indexOf("=", i);
    assert.ok(eq > i, `label without '=': ${line}`);
    const name = line.slice(i, eq);
    assert.match(name, LABEL_NAME, `bad label name '${name}': ${line}`);
    assert.ok(!(name in labels), `label ${name} twice: ${line}`);
    assert.equal(line[eq + 1], '"', `label value not quoted: ${line}`);
    let v = "";
    let j = eq + 2;
    for (; ; j++) {
      assert.ok(j < line.length, `unterminated label value: ${line}`);
      const c = line[j];
      if (c === '"') break;
      if (c === "\\") {
        const n = line[++j];
        assert.ok(n === "\\" || n === '"' || n === "n", `bad escape \\${n}: ${line}`);
        v += n === "n" ? "\n" : n;
      } else v += c;
    }
    labels[name] = v;
    i = j + 1;
    if (line[i] === "}") return { labels, end: i + 1 };
    assert.equal(line[i], ",", `expected ',' or '}' after a label: ${line}`);
    i++;
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f !== undefined && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket")))
      return f;
  }
  return undefined;
}

function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current = null as Family | null;
  const declare = (name: string): Family => {
    assert.match(name, NAME, `bad metric name '${name}'`);
    let f = families.get(name);
    if (f === undefined) {
      assert.ok(familyOf(name, families) === undefined, `${name} clashes with another family's samples`);
      f = { name, type: "untyped", help: null, samples: [] };
      families.set(name, f);
    } else {
      assert.equal(f.samples.length, 0, `HELP/TYPE of ${name} after its samples`);
    }
    current = f;
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      assert.ok(m, `a comment other than HELP/TYPE: ${line}`);
      const f = declare(m[2]);
      if (m[1] === "HELP") {
        assert.equal(f.help, null, `two HELP lines for ${f.name}`);
        assert.ok(!/\\[^\\n]/.test(m[3]), `bad escape in HELP: ${line}`);
        f.help = m[3];
      } else {
        assert.ok(TYPES.has(m[3]), `unknown type: ${line}`);
        assert.equal(f.type, "untyped", `two TYPE lines for ${f.name}`);
        f.type = m[3];
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    assert.ok(nameEnd > 0, `not a sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    assert.match(name, NAME, `bad sample name: ${line}`);
    let labels: Record<string, string> = {};
    let rest = nameEnd;
    if (line[nameEnd] === "{") ({ labels, end: rest } = parseLabels(line, nameEnd));
    assert.equal(line[rest], " ", `expected one space before the value: ${line}`);
    const parts = line.slice(rest + 1).split(" ");
    assert.ok(parts.length === 1 || (parts.length === 2 && /^-?\d+$/.test(parts[1])), `bad value: ${line}`);
    const value = parseValue(parts[0], line);
    const fam: Family | null = current;
    const f = familyOf(name, families);
    assert.ok(f !== undefined && f === fam, `sample ${name} outside its family's block: ${line}`);
    if (name.endsWith("_bucket") && f.type === "histogram") assert.ok("le" in labels, `bucket without le`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `duplicate sample: ${line}`);
    seen.add(key);
    if (f.type === "counter") assert.ok(value >= 0, `negative counter: ${line}`);
    f.samples.push({ name, labels, value });
  }
  for (const f of families.values()) {
    assert.ok(f.help !== null && f.type !== "untyped", `${f.name} has HELP and TYPE`);
    if (f.type === "histogram") checkHistogram(f);
  }
  return families;
}

/** Per label set: buckets by increasing le, cumulative, ending in +Inf = _count, with a _sum. */
function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) g.buckets.push([parseValue(le, `le="${le}"`), s.value]);
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else assert.fail(`unexpected sample ${s.name} in histogram ${f.name}`);
  }
  for (const [key, g] of groups) {
    assert.ok(
      g.buckets.length > 0 && g.sum !== undefined && g.count !== undefined,
      `${f.name}${key} complete`,
    );
    for (let i = 1; i < g.buckets.length; i++) {
      assert.ok(g.buckets[i][0] > g.buckets[i - 1][0], `${f.name}${key}: le increases`);
      assert.ok(g.buckets[i][1] >= g.buckets[i - 1][1], `${f.name}${key}: buckets are cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    assert.equal(last[0], Number.POSITIVE_INFINITY, `${f.name}${key} ends with le="+Inf"`);
    assert.equal(last[1], g.count, `${f.name}${key}: +Inf bucket = _count`);
  }
}

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────

const PW = "metrics-admin-pw";
const MAX_LAG_MS = 300;

type Metrics = Map<string, Family>;

/** The value of one sample (by family, sample name and labels it must have), or undefined. */
function value(
  m: Metrics,
  family: string,
  labels: Record<string, string>,
  sample = family,
): number | undefined {
  const f = m.get(family);
  assert.ok(f !== undefined, `metric ${family} is exposed`);
  const s = f.samples.find(
    (x) => x.name === sample && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.value;
}

function must(m: Metrics, family: string, labels: Record<string, string>, sample = family): number {
  const v = value(m, family, labels, sample);
  assert.ok(v !== undefined, `${sample}${JSON.stringify(labels)} is exposed`);
  return v;
}

interface StatusDoc {
  topology: { master: string; replicas: string[] };
  backends: Record<string, string | number>[];
  limits: { maxLagMs: number };
  lagHistory: {
    intervalMs: number;
    capacity: number;
    replicas: Record<string, { t: number[]; lagMs: number[] }>;
  };
}

const BACKEND_FIELDS = [
  "address",
  "role",
  "state",
  "offset",
  "lag_bytes",
  "lag_ms",
  "in_flight",
  "dedicated",
  "breaker",
  "eligible",
  "reason",
  "drain",
];

function setup(kind: "redis" | "tandem", password: string | null) {
  const ctx = {
    d: null as unknown as Deployment,
    c: null as unknown as RawClient,
    labels: [] as { backend: string; role: string }[],
    async scrape(): Promise<Metrics> {
      const r = await ctx.d.proxy.admin("/metrics", password ?? undefined);
      assert.equal(r.status, 200);
      assert.match(r.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      return parseExposition(await r.text());
    },
    async status(): Promise<StatusDoc> {
      const r = await ctx.d.proxy.admin("/status", password ?? undefined);
      assert.equal(r.status, 200);
      return (await r.json()) as StatusDoc;
    },
  };
  before(async () => {
    ctx.d = await startDeployment({
      kind,
      proxyYaml: [
        `max_lag_ms: ${MAX_LAG_MS}`,
        "health:\n  poll_interval_ms: 50",
        "ryw_wait_ms: 100",
        password === null ? "" : `admin:\n  password: ${password}`,
      ].join("\n"),
    });
    ctx.c = await ctx.d.proxy.client();
    ctx.labels = [
      { backend: `127.0.0.1:${ctx.d.master.port}`, role: "master" },
      ...ctx.d.replicas.map((r) => ({ backend: `127.0.0.1:${r.port}`, role: "replica" })),
    ];
    await waitFor("every replica eligible", async () => {
      const m = await ctx.scrape();
      return ctx.labels.every((l) => value(m, "tandem_proxy_backend_eligible", l) === 1);
    });
  });
  after(async () => {
    ctx.c?.close();
    await ctx.d?.stop();
  });
  return ctx;
}

type Ctx = ReturnType<typeof setup>;

/** Traffic moves the request counters and the latency histogram of the backends it went to. */
async function trafficIsCounted(ctx: Ctx): Promise<void> {
  const [master, ...replicas] = ctx.labels;
  const m0 = await ctx.scrape();
  const req = (m: Metrics, l: object) => must(m, "tandem_proxy_backend_requests_total", { ...l });
  const lat = (m: Metrics, l: object) =>
    must(
      m,
      "tandem_proxy_backend_request_duration_seconds",
      { ...l },
      "tandem_proxy_backend_request_duration_seconds_count",
    );
  const N = 300;
  assert.equal(await ctx.c.text("PROXY", "CONSISTENCY", "eventual"), "+OK\r\n");
  const sets = await ctx.c.pipeline(Array.from({ length: N }, (_, i) => ["SET", `m:${i}`, "v"]));
  assert.ok(sets.every((r) => r.toString() === "+OK\r\n"));
  const gets = await ctx.c.pipeline(Array.from({ length: N }, (_, i) => ["GET", `m:${i % 7}`]));
  assert.equal(gets.length, N);
  const m1 = await ctx.scrape();
  assert.ok(req(m1, master) - req(m0, master) >= N, "the master counted every write");
  const readsOnReplicas = replicas.reduce((s, l) => s + req(m1, l) - req(m0, l), 0);
  assert.ok(readsOnReplicas >= N, `replicas counted every read (${readsOnReplicas})`);
  assert.ok(lat(m1, master) - lat(m0, master) >= N, "the master's replies were timed");
  assert.ok(
    replicas.reduce((s, l) => s + lat(m1, l) - lat(m0, l), 0) >= N,
    "the replicas' replies were timed",
  );
  const sum = must(
    m1,
    "tandem_proxy_backend_request_duration_seconds",
    master,
    "tandem_proxy_backend_request_duration_seconds_sum",
  );
  assert.ok(sum > 0 && sum / lat(m1, master) < 1, `mean latency is plausible (${sum / lat(m1, master)} s)`);
  // An error reply is counted as one.
  const e0 = must(m1, "tandem_proxy_backend_errors_total", { ...master, kind: "reply" });
  assert.match(await ctx.c.text("INCR", "m:0"), /^-ERR/);
  const m2 = await ctx.scrape();
  assert.equal(must(m2, "tandem_proxy_backend_errors_total", { ...master, kind: "reply" }), e0 + 1);
  assert.ok(must(m2, "tandem_proxy_connected_clients", {}) >= 1);
  assert.ok(must(m2, "tandem_proxy_connections_received_total", {}) >= 1);
  assert.ok(must(m2, "process_resident_memory_bytes", {}) > 0, "Node's process metrics are there");
  for (const l of ctx.labels) {
    assert.equal(must(m2, "tandem_proxy_backend_in_flight_requests", l), 0);
    assert.equal(must(m2, "tandem_proxy_backend_up", l), 1);
    assert.equal(must(m2, "tandem_proxy_backend_breaker_state", { ...l, state: "closed" }), 1);
    assert.equal(must(m2, "tandem_proxy_backend_breaker_state", { ...l, state: "open" }), 0);
    assert.equal(must(m2, "tandem_proxy_backend_drain_state", { ...l, state: "none" }), 1);
  }
  // Offsets come from the lag monitor's polls: wait for one that saw the writes sent above.
  let m3 = m2;
  await waitFor("the proxy to poll the offsets after the writes", async () => {
    m3 = await ctx.scrape();
    return (
      must(m3, "tandem_proxy_master_repl_offset", master) > 0 &&
      replicas.every((l) => must(m3, "tandem_proxy_connected_slave_offset_bytes", l) > 0)
    );
  });
  const masterOffset = must(m3, "tandem_proxy_master_repl_offset", master);
  assert.equal(
    value(m2, "tandem_proxy_master_repl_offset", replicas[0]),
    undefined,
    "replicas have no master_repl_offset",
  );
  for (const l of replicas) {
    const off = must(m3, "tandem_proxy_connected_slave_offset_bytes", l);
    assert.ok(off > 0 && off <= masterOffset, `replica offset ${off} ≤ master's ${masterOffset}`);
    assert.ok(must(m2, "tandem_proxy_connected_slave_lag_bytes", l) >= 0);
    assert.ok(must(m2, "tandem_proxy_connected_slave_lag_seconds", l) >= 0);
  }
  assert.equal(must(m2, "tandem_proxy_eligible_replicas", {}), replicas.length);
}

async function statusListsEveryBackend(ctx: Ctx): Promise<void> {
  const s = await ctx.status();
  assert.equal(s.topology.master, ctx.labels[0].backend);
  assert.deepEqual(
    s.topology.replicas,
    ctx.labels.slice(1).map((l) => l.backend),
  );
  assert.deepEqual(
    s.backends.map((b) => [b.address, b.role]),
    ctx.labels.map((l) => [l.backend, l.role]),
  );
  for (const b of s.backends) assert.deepEqual(Object.keys(b), BACKEND_FIELDS, "PROXY BACKENDS' fields");
  assert.equal(s.lagHistory.intervalMs, 1000);
  assert.equal(s.lagHistory.capacity, 600);
  for (const l of ctx.labels.slice(1)) {
    const h = s.lagHistory.replicas[l.backend];
    assert.ok(
      h !== undefined && h.t.length >= 1 && h.t.length === h.lagMs.length,
      `lag history of ${l.backend}`,
    );
  }
}

// ─── the tests ───────────────────────────────────────────────────────────────────────────────────────────

describe("proxy admin listener, redis-server backends", { skip: NO_REDIS }, () => {
  const ctx = setup("redis", PW);

  it("every route needs the admin password (401 + WWW-Authenticate), any user name; 404 elsewhere", async () => {
    const p = ctx.d.proxy;
    for (const path of ["/metrics", "/status", "/"]) {
      const none = await p.admin(path);
      assert.equal(none.status, 401, path);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Basic realm=/);
      assert.equal((await p.admin(path, "wrong")).status, 401, `${path} with a wrong password`);
      const ok = await fetch(`http://127.0.0.1:${p.adminPort}${path}`, {
        headers: { Authorization: `Basic ${Buffer.from(`someone:${PW}`).toString("base64")}` },
      });
      assert.equal(ok.status, 200, path);
      await ok.arrayBuffer();
    }
    assert.equal((await p.admin("/nope", PW)).status, 404);
    const page = await p.admin("/", PW);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.doesNotMatch(await page.text(), /(src|href)="https?:/, "the page loads nothing from elsewhere");
  });

  it("/metrics is valid exposition text and counts the traffic sent", () => trafficIsCounted(ctx));

  it("/status has the topology, every backend with PROXY BACKENDS' fields, and each replica's lag history", () =>
    statusListsEveryBackend(ctx));

  it("read-your-writes waits and fallbacks to the master, durability waits and timeouts are counted", async () => {
    const c = ctx.c;
    const m0 = await ctx.scrape();
    const n = (m: Metrics, name: string) => must(m, name, {});
    assert.equal(await c.text("PROXY", "CONSISTENCY", "session"), "+OK\r\n");
    // A read pipelined right behind a write waits (in the proxy) for the write's offset.
    const [set, get] = await c.pipeline([
      ["SET", "ryw:k", "v1"],
      ["GET", "ryw:k"],
    ]);
    assert.equal(set.toString(), "+OK\r\n");
    assert.equal(get.toString(), "$2\r\nv1\r\n");
    // A token far ahead of every replica: the read waits ryw_wait_ms, then goes to the master.
    const token = (await c.call("PROXY", "TOKEN")) as Buffer;
    const [replid, offset] = token.toString().split(":");
    assert.equal(await c.text("PROXY", "AFTER", `${replid}:${Number(offset) + 1_000_000_000}`), "+OK\r\n");
    assert.equal(await c.text("GET", "ryw:k"), "$2\r\nv1\r\n");
    // Durability: 1 replica in time; 9 replicas never (-NOTREPLICATED after 100 ms).
    assert.equal(await c.text("PROXY", "DURABILITY", "1", "2000"), "+OK\r\n");
    assert.equal(await c.text("SET", "dur:k", "v"), "+OK\r\n");
    assert.equal(await c.text("PROXY", "DURABILITY", "9", "100"), "+OK\r\n");
    assert.match(await c.text("SET", "dur:k", "v"), /^-NOTREPLICATED/);
    assert.equal(await c.text("PROXY", "DURABILITY", "0", "100"), "+OK\r\n");
    assert.equal(await c.text("PROXY", "CONSISTENCY", "eventual"), "+OK\r\n"); // drops the far token
    const m1 = await ctx.scrape();
    assert.ok(n(m1, "tandem_proxy_ryw_waits_total") - n(m0, "tandem_proxy_ryw_waits_total") >= 2);
    const waited =
      n(m1, "tandem_proxy_ryw_wait_seconds_total") - n(m0, "tandem_proxy_ryw_wait_seconds_total");
    assert.ok(waited >= 0.09 && waited < 10, `the fallback read waited ryw_wait_ms (${waited} s in all)`);
    assert.ok(
      n(m1, "tandem_proxy_ryw_master_fallbacks_total") - n(m0, "tandem_proxy_ryw_master_fallbacks_total") >=
        1,
    );
    assert.equal(
      n(m1, "tandem_proxy_durability_waits_total") - n(m0, "tandem_proxy_durability_waits_total"),
      2,
    );
    assert.equal(
      n(m1, "tandem_proxy_durability_timeouts_total") - n(m0, "tandem_proxy_durability_timeouts_total"),
      1,
    );
    assert.equal(n(m1, "tandem_proxy_failovers_followed_total"), 0);
  });

  it("a SIGSTOPped replica: eligible and up go 0, its lag grows, one log line; back after SIGCONT", async () => {
    const r = ctx.d.replicas[1];
    const l = ctx.labels[2];
    const writer = await ctx.d.proxy.client();
    let writing = true;
    const logFrom = ctx.d.proxy.output().length;
    const writes = (async () => {
      for (let i = 0; writing; i++) await writer.text("SET", `lag:${i % 10}`, String(i));
    })();
    r.kill("SIGSTOP");
    try {
      const first = await waitFor("the stopped replica to be excluded, lagging", async () => {
        const m = await ctx.scrape();
        const lag = must(m, "tandem_proxy_connected_slave_lag_seconds", l);
        return must(m, "tandem_proxy_backend_eligible", l) === 0 && lag > 0 ? { m, lag } : null;
      });
      assert.ok(must(first.m, "tandem_proxy_connected_slave_lag_bytes", l) > 0);
      assert.equal(must(first.m, "tandem_proxy_eligible_replicas", {}), 1);
      await waitFor("its lag to grow and its state to be down", async () => {
        const m = await ctx.scrape();
        return (
          must(m, "tandem_proxy_connected_slave_lag_seconds", l) > first.lag + 0.2 &&
          must(m, "tandem_proxy_backend_up", l) === 0
        );
      });
      const s = await ctx.status();
      const b = s.backends.find((x) => x.address === l.backend);
      assert.equal(b?.eligible, "no");
      assert.notEqual(b?.reason, "", "/status says why");
    } finally {
      r.kill("SIGCONT");
      writing = false;
      await writes;
      writer.close();
    }
    await waitFor("the resumed replica to be eligible again", async () => {
      const m = await ctx.scrape();
      return must(m, "tandem_proxy_backend_eligible", l) === 1;
    });
    const excluded = ctx.d.proxy
      .output()
      .slice(logFrom)
      .split("\n")
      .filter((line) => line.includes("replica excluded from reads") && line.includes(l.backend));
    assert.equal(excluded.length, 1, `one log line for the exclusion:\n${excluded.join("\n")}`);
  });

  it("a drained replica shows in drain_state and eligible, and comes back on undrain", async () => {
    const l = ctx.labels[1];
    assert.equal(await ctx.c.text("PROXY", "DRAIN", l.backend), "+OK\r\n");
    try {
      await waitFor("drain_state drained", async () => {
        const m = await ctx.scrape();
        return (
          must(m, "tandem_proxy_backend_drain_state", { ...l, state: "drained" }) === 1 &&
          must(m, "tandem_proxy_backend_drain_state", { ...l, state: "none" }) === 0 &&
          must(m, "tandem_proxy_backend_eligible", l) === 0
        );
      });
      const b = (await ctx.status()).backends.find((x) => x.address === l.backend);
      assert.equal(b?.drain, "drained");
    } finally {
      assert.equal(await ctx.c.text("PROXY", "UNDRAIN", l.backend), "+OK\r\n");
    }
    const m = await ctx.scrape();
    assert.equal(must(m, "tandem_proxy_backend_drain_state", { ...l, state: "none" }), 1);
  });
});

describe("proxy admin listener, Tandem backends", () => {
  const ctx = setup("tandem", null);

  it("/metrics is valid exposition text and counts the traffic sent (no password: open)", () =>
    trafficIsCounted(ctx));

  it("/status lists every backend", () => statusListsEveryBackend(ctx));
});

describe("proxy admin listener start-up", () => {
  it("an admin address that cannot be bound stops the proxy with an error naming it", async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen({ host: "127.0.0.1", port: 0 }, r));
    const port = (holder.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), "tandem-admin-bind-"));
      const file = join(dir, "proxy.yaml");
      writeFileSync(file, "listen: 127.0.0.1:0\nmaster: 127.0.0.1:1\nlog_level: silent\n");
      const proc = spawn(
        process.execPath,
        [TANDEM_BIN, "proxy", file, "--admin-listen", `127.0.0.1:${port}`],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      trackChild(proc);
      let stderr = "";
      proc.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise<number | null>((r) => proc.once("exit", r));
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(admin.*already in use`));
    } finally {
      holder.close();
    }
  });
});
