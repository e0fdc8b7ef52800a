import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * Disk trouble: the AOF directory lives on a small tmpfs the test mounts, and a filler file takes the
 * space. Writes must turn into Redis's `-MISCONF Errors writing to the AOF file: No space left on device`
 * (appendfsync everysec: Redis refuses writes and retries; with `always` it would exit), reads keep
 * working, nothing crashes, and writes resume by themselves once the filler is removed. Run side by side
 * on Tandem and Debian's redis-server; mounting needs root (skipped with the reason otherwise).
 */

function mountTmpfs(sizeKb: number): { dir: string; unmount: () => void } | string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-diskfull-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here (${(r.stderr || r.error?.message || "").trim() || `exit ${r.status}`})`;
  }
  return {
    dir,
    unmount: () => {
      spawnSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const probe = process.getuid?.() === 0 ? mountTmpfs(64) : "mounting a tmpfs needs root";
const SKIP = typeof probe === "string" ? probe : false;
if (typeof probe !== "string") probe.unmount();

async function fillUntilMisconf(c: RawClient): Promise<{ acked: number; error: string }> {
  const value = "x".repeat(8 * 1024);
  for (let i = 0; i < 2000; i++) {
    const reply = await c.text("SET", `k:${i}`, value);
    if (reply.startsWith("-")) return { acked: i, error: reply.trim() };
  }
  throw new Error("the disk never filled");
}

for (const kind of ["tandem", "redis"] as const) {
  describe(`disk full under the AOF (${kind})`, { skip: SKIP || (kind === "redis" && NO_REDIS) }, () => {
    it("answers -MISCONF for writes, serves reads, and recovers when space returns", async () => {
      const fs = mountTmpfs(2048) as { dir: string; unmount: () => void };
      let server: ServerProcess | null = null;
      try {
        const start = kind === "tandem" ? startTandem : startRedis;
        server = await start({
          dir: fs.dir,
          args: [
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--aof-use-rdb-preamble",
            "yes",
          ],
        });
        const c = await server.client();
        // Leave about 300 KiB free.
        const st = statfsSync(fs.dir);
        const free = st.bavail * st.bsize;
        writeFileSync(join(fs.dir, "filler"), Buffer.alloc(Math.max(0, free - 300 * 1024)));
        const { acked, error } = await fillUntilMisconf(c);
        assert.equal(error, "-MISCONF Errors writing to the AOF file: No space left on device");
        assert.ok(acked > 0, "some writes went through before the disk filled");
        // Reads still work; writes keep being refused while the disk is full.
        assert.equal((await c.text("GET", "k:0")).length > 8000, true);
        assert.match(await c.text("SET", "more", "1"), /^-MISCONF /);
        assert.equal(server.proc.exitCode, null, "the server is still running");
        // Space returns: writes resume without any command from the operator.
        rmSync(join(fs.dir, "filler"));
        await waitFor(
          "writes to be accepted again",
          async () => (await c.text("SET", "after", "1")) === "+OK\r\n",
          {
            timeoutMs: 20_000,
          },
        );
        assert.equal(await c.text("GET", "after"), "$1\r\n1\r\n");
        c.close();
      } finally {
        await server?.stop();
        fs.unmount();
      }
    });
  });
}
