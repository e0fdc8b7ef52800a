import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, mock } from "node:test";
import {
  AofError,
  type AofOptions,
  AppendOnlyFile,
  type FsyncPolicy,
  parseManifest,
} from "../../../src/persistence/aof.js";
import { Keyspace } from "../../../src/store/keyspace.js";
import { dumpKeyspace, populateAllTypes } from "../../helpers/keyspace-fixtures.js";
import { waitFor } from "../../helpers/wait-for.js";

/**
 * The append-only file in-process, on a temp dir, with no server: the owner's seams (fsync policy, the
 * end-of-turn request, the warning log, the latency hook) are fakes that record what the AOF asks of them.
 * Expected texts (manifest, SELECT framing, truncation log lines) are what Debian's redis-server 7.0 writes.
 */

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

interface Harness {
  aof: AppendOnlyFile;
  dir: string;
  /** Calls of `endOfTurn` (the owner's beforeSleep request). */
  turns: number;
  warnings: string[];
  latencyEvents: string[];
  policy: FsyncPolicy;
  incr(name?: string): string;
}

function harness(policy: FsyncPolicy, dir?: string): Harness {
  const root = dir ?? mkdtempSync(join(tmpdir(), "tandem-aof-"));
  if (dir === undefined) roots.push(root);
  const h: Harness = {
    aof: null as unknown as AppendOnlyFile,
    dir: join(root, "appendonlydir"),
    turns: 0,
    warnings: [],
    latencyEvents: [],
    policy,
    incr: (name = "appendonly.aof.1.incr.aof") => readFileSync(join(h.dir, name), "latin1"),
  };
  const opts: AofOptions = {
    dir: h.dir,
    filename: "appendonly.aof",
    fsync: () => h.policy,
    warn: (m) => h.warnings.push(m),
    endOfTurn: () => h.turns++,
    latency: (event) => h.latencyEvents.push(event),
  };
  h.aof = new AppendOnlyFile(opts);
  return h;
}

const resp = (...argv: string[]) =>
  `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

describe("AppendOnlyFile: layout", () => {
  it("an empty start creates base 1 + incr 1 and the manifest exactly as Redis 7.0 writes it", () => {
    const h = harness("no");
    h.aof.openForAppend(new Keyspace());
    assert.deepEqual(readdirSync(h.dir).sort(), [
      "appendonly.aof.1.base.rdb",
      "appendonly.aof.1.incr.aof",
      "appendonly.aof.manifest",
    ]);
    assert.equal(
      readFileSync(join(h.dir, "appendonly.aof.manifest"), "latin1"),
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    // The base is an RDB (aof-use-rdb-preamble yes), the incr file starts empty.
    assert.equal(readFileSync(join(h.dir, "appendonly.aof.1.base.rdb")).subarray(0, 5).toString(), "REDIS");
    assert.equal(h.incr(), "");
    h.aof.close();
  });
});

describe("AppendOnlyFile: appendfsync", () => {
  it("always: the bytes are written and fdatasynced inside feed, before any reply; no end-of-turn request", () => {
    const h = harness("always");
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([{ db: 0, argv: ["SET", "a", "1"] }]);
    assert.equal(h.incr(), resp("SELECT", "0") + resp("SET", "a", "1"));
    assert.equal(h.turns, 0);
    assert.equal(h.aof.bufferLength, 0);
    assert.deepEqual(
      h.latencyEvents.filter((e) => e === "aof-fsync-always"),
      ["aof-fsync-always"],
      "one fsync for the feed",
    );
    h.aof.close();
  });

  for (const policy of ["everysec", "no"] as const) {
    it(`${policy}: feed only buffers and asks once per turn for the end-of-turn write`, () => {
      const h = harness(policy);
      h.aof.openForAppend(new Keyspace());
      h.aof.feed([{ db: 0, argv: ["SET", "a", "1"] }]);
      h.aof.feed([{ db: 0, argv: ["INCR", "n"] }]);
      assert.equal(h.incr(), "", "nothing on disk before the end of the turn");
      assert.equal(h.turns, 1, "one request for the turn, not one per feed");
      const expected = resp("SELECT", "0") + resp("SET", "a", "1") + resp("INCR", "n");
      assert.equal(h.aof.bufferLength, expected.length);
      h.aof.writePending();
      assert.equal(h.incr(), expected);
      assert.equal(h.aof.bufferLength, 0);
      assert.equal(h.aof.incrSize, expected.length);
      assert.deepEqual(h.latencyEvents, ["aof-write-alone", "aof-write"]);
      // The next turn asks again.
      h.aof.feed([{ db: 0, argv: ["DEL", "a"] }]);
      assert.equal(h.turns, 2);
      h.aof.close();
    });
  }

  it("everysec: the once-a-second timer writes what is buffered and fdatasyncs; no does neither", async () => {
    mock.timers.enable({ apis: ["setInterval"] });
    try {
      const every = harness("everysec");
      const none = harness("no");
      for (const h of [every, none]) {
        h.aof.openForAppend(new Keyspace());
        h.aof.lastFsync = 0;
        h.aof.feed([{ db: 0, argv: ["SET", "k", "v"] }]);
      }
      mock.timers.tick(1000);
      const bytes = resp("SELECT", "0") + resp("SET", "k", "v");
      assert.equal(every.incr(), bytes, "everysec wrote the buffer in its timer");
      await waitFor("the everysec fdatasync to complete", () => every.aof.lastFsync > 0);
      assert.equal(none.incr(), "", "no: the timer leaves the buffer to the end of the turn");
      assert.equal(none.aof.lastFsync, 0, "no: never fsyncs");
      every.aof.close();
      none.aof.close();
    } finally {
      mock.timers.reset();
    }
  });
});

describe("AppendOnlyFile: SELECT", () => {
  it("is emitted when the db changes, not repeated, and again after a reopen", () => {
    const h = harness("always");
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([
      { db: 0, argv: ["SET", "a", "1"] },
      { db: 0, argv: ["SET", "b", "2"] },
      { db: 2, argv: ["SET", "c", "3"] },
    ]);
    h.aof.feed([{ db: 2, argv: ["DEL", "c"] }]);
    h.aof.feed([{ db: 0, argv: ["DEL", "a"] }]);
    const first =
      resp("SELECT", "0") +
      resp("SET", "a", "1") +
      resp("SET", "b", "2") +
      resp("SELECT", "2") +
      resp("SET", "c", "3") +
      resp("DEL", "c") +
      resp("SELECT", "0") +
      resp("DEL", "a");
    assert.equal(h.incr(), first);
    h.aof.close();
    // A restart does not know which db the file ends in: the first command selects again.
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([{ db: 0, argv: ["SET", "x", "y"] }]);
    assert.equal(h.incr(), first + resp("SELECT", "0") + resp("SET", "x", "y"));
    h.aof.close();
  });
});

/** The lines redis-server 7.0 logs when aof-load-truncated lets it cut a torn file. */
const truncationLog = (file: string, offset: number) => [
  `!!! Warning: short read while loading the AOF file ${file}!!!`,
  `!!! Truncating the AOF ${file} at offset ${offset} !!!`,
  `AOF ${file} loaded anyway because aof-load-truncated is enabled`,
];

describe("AppendOnlyFile: loading", () => {
  function withTornTail(policy: FsyncPolicy): { h: Harness; whole: string } {
    const h = harness(policy);
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([{ db: 0, argv: ["SET", "x", "9"] }]);
    h.aof.close();
    const whole = h.incr();
    appendFileSync(join(h.dir, "appendonly.aof.1.incr.aof"), "*3\r\n$3\r\nset\r\n$1\r\ny\r\n$2\r\n1");
    return { h, whole };
  }

  it("aof-load-truncated yes: applies what is complete, logs Redis's three lines, truncates the file", async () => {
    const { h, whole } = withTornTail("always");
    const applied: string[][] = [];
    const r = await h.aof.load(new Keyspace(), (argv) => applied.push(argv), true);
    assert.deepEqual(applied, [
      ["SELECT", "0"],
      ["SET", "x", "9"],
    ]);
    assert.equal(r.commands, 2);
    assert.deepEqual(h.warnings, truncationLog("appendonly.aof.1.incr.aof", whole.length));
    assert.equal(h.incr(), whole, "the torn command is cut off the file");
  });

  it("aof-load-truncated no: fails with Redis's message and leaves the file alone", async () => {
    const { h, whole } = withTornTail("always");
    const before = h.incr();
    assert.notEqual(before, whole);
    await assert.rejects(
      h.aof.load(new Keyspace(), () => {}, false),
      (err: unknown) =>
        err instanceof AofError &&
        err.code === "TANDEM_AOF_TRUNCATED" &&
        err.message ===
          "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
    );
    assert.equal(h.incr(), before);
    assert.deepEqual(h.warnings, []);
  });

  it("a torn file that is not the last one: cut and logged as Redis 7.0 does, then the load is refused", async () => {
    const { h, whole } = withTornTail("always");
    appendFileSync(join(h.dir, "appendonly.aof.manifest"), "file appendonly.aof.2.incr.aof seq 2 type i\n");
    writeFileSync(join(h.dir, "appendonly.aof.2.incr.aof"), resp("SET", "q", "1"));
    const applied: string[][] = [];
    await assert.rejects(
      h.aof.load(new Keyspace(), (argv) => applied.push(argv), true),
      (err: unknown) =>
        err instanceof AofError &&
        err.code === "TANDEM_AOF_TRUNCATED" &&
        err.message === "Fatal error: the truncated file is not the last file",
    );
    assert.deepEqual(h.warnings, truncationLog("appendonly.aof.1.incr.aof", whole.length));
    assert.equal(h.incr(), whole);
    assert.ok(!applied.some((argv) => argv[1] === "q"), "nothing of the later file is applied");
  });

  it("a MULTI without its EXEC at the end is dropped whole", async () => {
    const h = harness("always");
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([{ db: 0, argv: ["SET", "x", "9"] }]);
    h.aof.close();
    const whole = h.incr();
    appendFileSync(join(h.dir, "appendonly.aof.1.incr.aof"), resp("MULTI") + resp("SET", "t", "1"));
    const applied: string[][] = [];
    await h.aof.load(new Keyspace(), (argv) => applied.push(argv), true);
    assert.deepEqual(applied.at(-1), ["SET", "x", "9"]);
    assert.equal(h.incr(), whole);
  });

  it("a bad manifest line is an error naming the manifest, the line number and the line", async () => {
    const h = harness("no");
    h.aof.openForAppend(new Keyspace());
    h.aof.close();
    writeFileSync(
      join(h.dir, "appendonly.aof.manifest"),
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq two\n",
    );
    await assert.rejects(
      h.aof.load(new Keyspace(), () => {}, true),
      (err: unknown) =>
        err instanceof AofError &&
        err.code === "TANDEM_AOF_BAD_MANIFEST" &&
        err.message ===
          "Invalid AOF manifest file format (reading the manifest file appendonly.aof.manifest, at line 2: 'file appendonly.aof.1.incr.aof seq two')",
    );
  });

  it("parseManifest refuses what Redis 7.0's manifest reader refuses, with its error texts", () => {
    const bad = (text: string, message: string) =>
      assert.throws(
        () => parseManifest(text, "m"),
        (err: unknown) =>
          err instanceof AofError && err.code === "TANDEM_AOF_BAD_MANIFEST" && err.message === message,
        JSON.stringify(text),
      );
    const b = "file a.1.base.rdb seq 1 type b\n";
    bad("", "Found an empty AOF manifest");
    bad(`${b}\n`, "Invalid AOF manifest file format (reading the manifest file m, at line 2: '')");
    bad("file a.1.base.rdb seq 1 type b", "The AOF manifest file contains too long line");
    bad(`file ${"a".repeat(1020)} seq 1 type b\n`, "The AOF manifest file contains too long line");
    bad(
      "file a seq 1 type\n",
      "Invalid AOF manifest file format (reading the manifest file m, at line 1: 'file a seq 1 type')",
    );
    bad(
      "file ../x seq 1 type b\n",
      "File can't be a path, just a filename (reading the manifest file m, at line 1: 'file ../x seq 1 type b')",
    );
    bad(
      "file a seq 0 type i\n",
      "Invalid AOF manifest file format (reading the manifest file m, at line 1: 'file a seq 0 type i')",
    );
    bad(
      "file a seq 1 type x\n",
      "Unknown AOF file type (reading the manifest file m, at line 1: 'file a seq 1 type x')",
    );
    bad(
      `${b}file a.1.base.rdb seq 2 type b\n`,
      "Found duplicate base file information (reading the manifest file m, at line 2: 'file a.1.base.rdb seq 2 type b')",
    );
    bad(
      "file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n",
      "Found a non-monotonic sequence number (reading the manifest file m, at line 2: 'file a.1.incr.aof seq 1 type i')",
    );
    // What it accepts: comments, keys in any case, unknown keys, quoted names, history files.
    assert.deepEqual(
      parseManifest(
        '# comment\nFILE "a b" SEQ 3 TYPE b extra x\nfile a.1.incr.aof seq 1 type h\nfile a.4.incr.aof seq 4 type i\n',
      ),
      [
        { name: "a b", seq: 3, type: "b" },
        { name: "a.1.incr.aof", seq: 1, type: "h" },
        { name: "a.4.incr.aof", seq: 4, type: "i" },
      ],
    );
  });
});

describe("AppendOnlyFile: rewrite", () => {
  it("opens a new incr file at once, writes a new base, then drops the old files from disk and manifest", async () => {
    const h = harness("always");
    const ks = new Keyspace();
    populateAllTypes(ks);
    h.aof.openForAppend(new Keyspace());
    h.aof.feed([{ db: 3, argv: ["SET", "before", "1"] }]);
    const rewriting = h.aof.rewrite(ks);
    assert.equal(h.aof.rewriting, true);
    // While the base is being written, the manifest keeps the old files and adds the new incr file, so a
    // crash now loses nothing.
    assert.equal(
      readFileSync(join(h.dir, "appendonly.aof.manifest"), "latin1"),
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    await assert.rejects(h.aof.rewrite(ks), (err: unknown) => {
      return err instanceof AofError && err.code === "TANDEM_AOF_REWRITE_IN_PROGRESS";
    });
    // A write during the rewrite goes to the new incr file, which starts with its own SELECT.
    h.aof.feed([{ db: 3, argv: ["SET", "during", "2"] }]);
    await rewriting;
    assert.equal(h.aof.rewriting, false);
    assert.equal(
      readFileSync(join(h.dir, "appendonly.aof.manifest"), "latin1"),
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
    assert.deepEqual(readdirSync(h.dir).sort(), [
      "appendonly.aof.2.base.rdb",
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    assert.equal(h.incr("appendonly.aof.2.incr.aof"), resp("SELECT", "3") + resp("SET", "during", "2"));
    h.aof.close();

    // Loading it back: the new base holds the snapshot, the new incr file the write made during the rewrite.
    const again = harness("no", join(h.dir, ".."));
    const loaded = new Keyspace();
    const applied: string[][] = [];
    const r = await again.aof.load(loaded, (argv) => applied.push(argv), false);
    assert.deepEqual(dumpKeyspace(loaded), dumpKeyspace(ks));
    assert.equal(
      r.baseKeys,
      ks.dbs.reduce((n, db) => n + db.dict.size, 0),
    );
    assert.deepEqual(applied, [
      ["SELECT", "3"],
      ["SET", "during", "2"],
    ]);
  });
});
