import { line, runFuzz } from "./fuzz-runner.js";

/**
 * `npm run fuzz -- [--iterations N] [--seed S] [target ...]`
 * Targets: request-parser, frame-cutter, rdb-loader, aof-loader (in-process), server, proxy (processes).
 * Exit status 1 when anything was found; findings are saved in test/fuzz/corpus/ (commit them: the corpus
 * test replays each one on every `npm test`).
 */

function parseArgs(argv: string[]): { iterations: number; seed: number; only: string[] } {
  let iterations = 10_000;
  let seed = Date.now() % 1_000_000;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--iterations") iterations = Number(argv[++i]);
    else if (a === "--seed") seed = Number(argv[++i]);
    else if (a === "--help" || a === "-h") {
      process.stdout.write(
        "usage: npm run fuzz -- [--iterations N] [--seed S] [request-parser|frame-cutter|rdb-loader|aof-loader|server|proxy ...]\n",
      );
      process.exit(0);
    } else only.push(a);
  }
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new Error("--iterations takes a positive integer");
  if (!Number.isInteger(seed)) throw new Error("--seed takes an integer");
  return { iterations, seed, only };
}

const opts = parseArgs(process.argv.slice(2));
process.stdout.write(`fuzz: seed ${opts.seed}, ${opts.iterations} iterations per target\n`);
const t0 = Date.now();
const reports = await runFuzz({ ...opts, log: (l) => process.stdout.write(`${l}\n`) });
const findings = reports.reduce((n, r) => n + r.findings, 0);
process.stdout.write(`\nsummary (seed ${opts.seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s):\n`);
for (const r of reports) process.stdout.write(`  ${line(r)}\n`);
process.exit(findings === 0 ? 0 : 1);
