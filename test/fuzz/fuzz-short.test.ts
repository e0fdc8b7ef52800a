import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { line, runFuzz } from "./fuzz-runner.js";

/**
 * The short fuzz run of every `npm test`: each target for a few thousand iterations from a fixed seed
 * (deterministic in CI; `npm run fuzz -- --seed S --iterations N` explores further). A finding fails the
 * test and is saved in test/fuzz/corpus/ for replay.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

describe("fuzz (short run)", () => {
  it(`in-process targets: parsers, frame cutter, RDB and AOF loaders (seed ${SEED})`, async () => {
    const lines: string[] = [];
    const reports = await runFuzz({
      iterations: 3000,
      seed: SEED,
      only: ["request-parser", "frame-cutter", "rdb-loader", "aof-loader"],
      log: (l) => lines.push(l),
    });
    assert.equal(reports.length, 4);
    for (const r of reports) assert.equal(r.findings, 0, `${line(r)}\n${lines.join("\n")}`);
  });

  it(`tandem server and proxy as processes (seed ${SEED})`, async () => {
    const lines: string[] = [];
    const reports = await runFuzz({
      iterations: 3000,
      seed: SEED,
      only: ["server", "proxy"],
      log: (l) => lines.push(l),
    });
    assert.equal(reports.length, 2);
    for (const r of reports) assert.equal(r.findings, 0, `${line(r)}\n${lines.join("\n")}`);
  });
});
