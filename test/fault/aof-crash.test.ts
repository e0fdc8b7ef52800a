import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type ServerProcess, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * kill -9 under a write load: with appendfsync always no acknowledged write may be lost; with everysec
 * at most about a second of writes. Each writer INCRs its own counter and remembers the last value it
 * was told; after the restart the counter must be at least that (one more when the kill caught a write
 * on disk whose reply never left).
 */

const servers: ServerProcess[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

const WRITERS = 4;
const LOAD_MS = 1500;

async function writeUntilKilled(s: ServerProcess): Promise<{ acked: number[]; perSecond: number }> {
  const clients: RawClient[] = [];
  for (let i = 0; i < WRITERS; i++) clients.push(await s.client());
  const acked = new Array(WRITERS).fill(0);
  let stop = false;
  const start = Date.now();
  const loops = clients.map(async (c, w) => {
    // Bounded: stops at the kill or after a fixed number of writes, whichever comes first.
    for (let n = 0; n < 200_000 && !stop; n++) {
      try {
        const r = await c.text("INCR", `ctr:${w}`);
        acked[w] = Number(r.slice(1));
      } catch {
        return;
      }
    }
  });
  await new Promise((r) => setTimeout(r, LOAD_MS));
  s.kill("SIGKILL");
  stop = true;
  await s.exited;
  await Promise.all(loops);
  for (const c of clients) c.close();
  const total = acked.reduce((a, b) => a + b, 0);
  return { acked, perSecond: (total * 1000) / (Date.now() - start) };
}

describe("AOF crash safety (kill -9 under load)", () => {
  for (const policy of ["always", "everysec"] as const) {
    it(`appendfsync ${policy}: ${policy === "always" ? "no acknowledged write is lost" : "loses at most about a second"}`, async () => {
      const s = await startTandem({ args: ["--appendonly", "yes", "--appendfsync", policy] });
      servers.push(s);
      const { acked, perSecond } = await writeUntilKilled(s);
      assert.ok(
        acked.every((n) => n > 0),
        `every writer got acknowledgements (${acked})`,
      );
      const again = await startTandem({ args: ["--appendonly", "yes"], dir: s.dir });
      servers.push(again);
      const c = await again.client();
      for (let w = 0; w < WRITERS; w++) {
        const got = Number((await c.text("GET", `ctr:${w}`)).split("\r\n")[1]);
        if (policy === "always") {
          assert.ok(
            got >= acked[w] && got <= acked[w] + 1,
            `writer ${w}: acked ${acked[w]}, restored ${got}`,
          );
        } else {
          const allowed = Math.ceil(perSecond / WRITERS) * 1.5;
          assert.ok(
            got >= acked[w] - allowed,
            `writer ${w}: acked ${acked[w]}, restored ${got}, allowed loss ${allowed}`,
          );
        }
      }
      c.close();
    });
  }
});
