import { infoField } from "./info.js";
import { type ServerProcess, type StartOptions, startTandem } from "./processes.js";
import type { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/**
 * Helpers for replication tests: waiting for links and offsets, over RawClient.
 */

export { infoField, infoSection } from "./info.js";

/** Waits until a replica reports master_link_status:up. */
export async function waitLinkUp(replica: RawClient, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    "master_link_status:up",
    async () => (await infoField(replica, "replication", "master_link_status")) === "up",
    { timeoutMs },
  );
}

/** Waits until every replica's slave_repl_offset equals the master's master_repl_offset. */
export async function waitOffsetsEqual(
  master: RawClient,
  replicas: RawClient[],
  timeoutMs = 15_000,
): Promise<number> {
  const plusOne = await waitFor(
    "replica offsets to reach the master's",
    async () => {
      const m = Number(await infoField(master, "replication", "master_repl_offset"));
      for (const r of replicas) {
        if (Number(await infoField(r, "replication", "slave_repl_offset")) !== m) return false;
      }
      // The master may have fed a PING meanwhile: confirm it did not move.
      const again = Number(await infoField(master, "replication", "master_repl_offset"));
      return again === m ? m + 1 : false;
    },
    { timeoutMs },
  );
  return Number(plusOne) - 1;
}

export async function syncStat(
  c: RawClient,
  field: "sync_full" | "sync_partial_ok" | "sync_partial_err",
): Promise<number> {
  return Number(await infoField(c, "stats", field));
}

/** Every key of every non-empty db with its TYPE and a canonical dump of its value, for comparisons. */
export async function datasetDump(c: RawClient, dbs = 16): Promise<string[]> {
  const out: string[] = [];
  for (let db = 0; db < dbs; db++) {
    await c.call("SELECT", db);
    const keys = ((await c.call("KEYS", "*")) as Buffer[]).map((k) => k.toString("latin1")).sort();
    for (const k of keys) {
      const type = String(await c.call("TYPE", k));
      const read = async (...args: (string | number)[]): Promise<string[]> => {
        const v = await c.call(...args);
        return Array.isArray(v) ? v.map(String) : [`(not an array: ${String(v)})`];
      };
      let value: string;
      if (type === "string") value = String(await c.call("GET", k));
      else if (type === "list") value = JSON.stringify(await read("LRANGE", k, 0, -1));
      else if (type === "hash") value = JSON.stringify((await read("HGETALL", k)).sort());
      else if (type === "set") value = JSON.stringify((await read("SMEMBERS", k)).sort());
      else if (type === "zset") value = JSON.stringify(await read("ZRANGE", k, 0, -1, "WITHSCORES"));
      else value = "?";
      const pttl = Number(await c.call("PTTL", k));
      out.push(`${db} ${type} ${k} ${value} ${pttl > 0 ? "ttl" : pttl}`);
    }
  }
  await c.call("SELECT", 0);
  return out;
}

/** A Tandem server replicating from `master` (extra options' args come after the replicaof directive). */
export function startReplicaOf(master: { port: number }, opts: StartOptions = {}): Promise<ServerProcess> {
  return startTandem({
    ...opts,
    args: ["--replicaof", "127.0.0.1", String(master.port), ...(opts.args ?? [])],
  });
}

/** A Tandem master and one replica of it, a client of each, the link up. */
export async function startMasterAndReplica(
  masterArgs: string[] = [],
): Promise<{ master: ServerProcess; replica: ServerProcess; m: RawClient; r: RawClient }> {
  const master = await startTandem({ args: masterArgs });
  const replica = await startReplicaOf(master);
  const m = await master.client();
  const r = await replica.client();
  await waitLinkUp(r);
  return { master, replica, m, r };
}
