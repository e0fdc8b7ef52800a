import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run bench [-- name ...]`: runs each benchmark in test/bench (files named *-bench) as its own
 * process, one after another (never in parallel: they measure), and prints their markdown tables.
 * With names, only the benchmarks whose file name starts with one of them run (e.g. `server`, `proxy`).
 */
const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith("-bench.js"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
if (benches.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(", ")}\n`);
  process.exit(1);
}
let failed = 0;
for (const b of benches) {
  process.stderr.write(`\n=== ${b}\n`);
  const r = spawnSync(process.execPath, [join(here, b)], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
