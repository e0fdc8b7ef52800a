import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { seededRandom } from "../helpers/differential.js";
import { REPO_ROOT } from "../helpers/processes.js";
import { type Finding, type InProcessTarget, inProcessTargets } from "./fuzz-targets.js";
import { type ProcessFuzzResult, processTargets } from "./process-fuzz.js";

/**
 * Runs fuzz targets for a number of iterations from a seed. Each in-process iteration gets its own seeded
 * generator (from seed, target and iteration number), so any single iteration replays alone; a finding is
 * saved under test/fuzz/corpus/ as JSON, which fuzz-corpus.test.ts replays on every `npm test`.
 */

export const CORPUS_DIR = join(REPO_ROOT, "test", "fuzz", "corpus");

export interface SavedFinding {
  target: string;
  /** The generator seed of the iteration (its splits are replayed from it). */
  iterationSeed: number;
  input: string; // base64
  error: string;
}

export interface TargetReport {
  target: string;
  iterations: number;
  ms: number;
  findings: number;
  /** The slowest single iteration (in-process) or the slowest watcher PING (process targets), ms. */
  slowestMs: number;
  detail: string;
}

export function iterationSeed(seed: number, target: string, i: number): number {
  const h = createHash("sha256").update(`${seed}:${target}:${i}`).digest();
  return h.readUInt32LE(0);
}

/** One in-process iteration; returns the finding's text, or null. */
export function runOne(t: InProcessTarget, input: Buffer, seed: number): string | null {
  try {
    t.check(input, seededRandom(seed));
    return null;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
  }
}

function save(f: SavedFinding): string {
  mkdirSync(CORPUS_DIR, { recursive: true });
  const name = `${f.target}-${createHash("sha256").update(f.input).digest("hex").slice(0, 12)}.json`;
  writeFileSync(join(CORPUS_DIR, name), `${JSON.stringify(f, null, 2)}\n`);
  return name;
}

export function runInProcess(
  t: InProcessTarget,
  seed: number,
  iterations: number,
  onFinding: (f: Finding, file: string) => void,
): TargetReport {
  const t0 = performance.now();
  let slowest = 0;
  let findings = 0;
  for (let i = 0; i < iterations; i++) {
    const s = iterationSeed(seed, t.name, i);
    const rng = seededRandom(s);
    const input = t.generate(rng);
    const a = performance.now();
    const error = runOne(t, input, s);
    const took = performance.now() - a;
    if (took > slowest) slowest = took;
    if (error !== null) {
      findings++;
      const file = save({ target: t.name, iterationSeed: s, input: input.toString("base64"), error });
      onFinding({ target: t.name, input, error }, file);
      if (findings >= 20) break; // enough to work on; a systematic bug would flood the corpus
    }
  }
  return {
    target: t.name,
    iterations,
    ms: performance.now() - t0,
    findings,
    slowestMs: slowest,
    detail: "",
  };
}

export interface FuzzOptions {
  iterations: number;
  seed: number;
  /** Target names to run (all when empty). */
  only: string[];
  log: (line: string) => void;
}

export async function runFuzz(opts: FuzzOptions): Promise<TargetReport[]> {
  const reports: TargetReport[] = [];
  const wanted = (name: string) => opts.only.length === 0 || opts.only.some((w) => name.startsWith(w));
  for (const t of inProcessTargets()) {
    if (!wanted(t.name)) continue;
    const r = runInProcess(t, opts.seed, opts.iterations, (f, file) =>
      opts.log(`finding in ${f.target}, saved as corpus/${file}: ${f.error.split("\n")[0]}`),
    );
    reports.push(r);
    opts.log(line(r));
  }
  for (const t of processTargets()) {
    if (!wanted(t.name)) continue;
    const r: ProcessFuzzResult = await t.run(opts.seed, opts.iterations, opts.log);
    const report: TargetReport = {
      target: t.name,
      iterations: r.messages,
      ms: r.ms,
      findings: r.findings.length,
      slowestMs: r.slowestPingMs,
      detail: `${r.connections} connections, ${r.disconnects} mid-frame disconnects, peak RSS ${r.peakRssMb} MB`,
    };
    for (const f of r.findings) opts.log(`finding in ${t.name}: ${f}`);
    reports.push(report);
    opts.log(line(report));
  }
  return reports;
}

export function line(r: TargetReport): string {
  return (
    `${r.target}: ${r.iterations} iterations in ${(r.ms / 1000).toFixed(1)} s, ${r.findings} findings, ` +
    `slowest ${r.slowestMs.toFixed(1)} ms${r.detail ? `, ${r.detail}` : ""}`
  );
}
