// Runs the whole suite with node:test over the compiled tests (dist/test/**/*.test.js), bench excluded.
// Usage: node test/run.mjs [substring ...]   — only files whose path contains one of the substrings.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "dist", "test");
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "bench") walk(p);
    } else if (name.endsWith(".test.js")) files.push(p);
  }
};
walk(root);
const filters = process.argv.slice(2);
const chosen = filters.length
  ? files.filter((f) => filters.some((s) => relative(root, f).includes(s)))
  : files;
if (chosen.length === 0) {
  console.error("no test files found under dist/test (did the build run?)");
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--test-timeout=300000", ...chosen.sort()],
  {
    stdio: "inherit",
  },
);
process.exit(r.status ?? 1);
