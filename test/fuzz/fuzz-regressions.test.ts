import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AofError, parseAofCommands } from "../../src/persistence/aof.js";
import { RdbError } from "../../src/persistence/rdb-format.js";
import { decodeListpack } from "../../src/persistence/rdb-loader.js";
import { FrameCutter } from "../../src/proxy/frame-cutter.js";
import { ProtocolError } from "../../src/resp/protocol-error.js";
import { CORPUS_DIR, runOne, type SavedFinding } from "./fuzz-runner.js";
import { inProcessTargets } from "./fuzz-targets.js";

/** What the fuzzer found, kept as regression tests: the first finds by hand, later ones from the corpus. */

const cut = (input: string, requests: boolean) =>
  new FrameCutter(requests).feed(Buffer.from(input, "latin1"), { onFrame: () => {} });

describe("fuzz findings", () => {
  it("AOF: an argument count of 2^32 is a truncated file, not a RangeError (Invalid array length)", () => {
    const r = parseAofCommands(Buffer.from("*4294967296\r\n$3\r\nSET\r\n"), () => {});
    assert.deepEqual(r, { end: 0, truncated: true });
    assert.throws(() => parseAofCommands(Buffer.from("*1\r\n%3\r\n"), () => {}), AofError);
  });

  it("frame cutter: a bulk longer than a Buffer holds is a protocol error, not a failed allocation", () => {
    assert.throws(() => cut("$9007199254741148\r\nabc", false), ProtocolError);
    // Requests get Redis's limits: proto-max-bulk-len and INT_MAX multibulk elements.
    assert.throws(() => cut("*1\r\n$536870913\r\n", true), ProtocolError);
    assert.throws(() => cut("*2147483648\r\n", true), ProtocolError);
    cut("*1048577\r\n", true); // Redis 7 accepts counts up to INT_MAX
    cut("*1\r\n$536870912\r\n", true); // exactly the limit: waits for the data
  });

  it("RDB: a listpack entry running past the blob is an integrity error, not a RangeError", () => {
    const lp = Buffer.from([10, 0, 0, 0, 1, 0, 0xf3, 1, 2, 3]);
    assert.throws(
      () => decodeListpack(lp),
      (e) => e instanceof RdbError && e.code === "TANDEM_RDB_CORRUPT",
    );
  });

  const files = existsSync(CORPUS_DIR) ? readdirSync(CORPUS_DIR).filter((f) => f.endsWith(".json")) : [];
  const targets = new Map(inProcessTargets().map((t) => [t.name, t]));
  for (const f of files) {
    it(`corpus/${f} replays without a finding`, () => {
      const saved = JSON.parse(readFileSync(join(CORPUS_DIR, f), "utf8")) as SavedFinding;
      const t = targets.get(saved.target);
      assert.ok(t, `unknown target ${saved.target}`);
      assert.equal(runOne(t, Buffer.from(saved.input, "base64"), saved.iterationSeed), null);
    });
  }
});
