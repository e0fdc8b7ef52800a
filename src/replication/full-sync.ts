import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { type AttachedReplica, SlaveCapa, SlaveState } from "./attached-replica.js";

/**
 * Sends one point-in-time RDB to a group of replicas that all asked for a full sync at the same offset
 * (Redis's BGSAVE for replication, without a fork: the persistence layer's snapshot is walked in slices
 * between client work and copies keys before they change).
 *
 * Replicas that announced `capa eof` while `repl-diskless-sync` is on get the diskless form,
 * `$EOF:<40 chars>\r\n<rdb><same 40 chars>`, streamed as the snapshot produces it; they go online on their
 * first ACK, as Redis's replicas send one right after loading. The others get the disk form `$<len>\r\n<rdb>`,
 * which needs the whole length first, so it is collected in memory, then sent; they go online at once.
 */

export const RDB_EOF_MARK_SIZE = 40;

export class FullSync {
  private done = false;

  constructor(
    private readonly replicas: AttachedReplica[],
    private readonly snapshot: AsyncGenerator<Buffer>,
    private readonly diskless: boolean,
    private readonly log: Logger,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** True while `r` is part of this transfer. */
  includes(r: AttachedReplica): boolean {
    return this.replicas.includes(r);
  }

  /** Sends the snapshot (whose point in time the caller fixed when creating it) to the group. */
  async run(): Promise<void> {
    const first = this.snapshot.next();
    const eofReplicas = this.replicas.filter((r) => this.diskless && r.capa & SlaveCapa.EOF);
    const diskReplicas = this.replicas.filter((r) => !eofReplicas.includes(r));
    const mark = randomBytes(RDB_EOF_MARK_SIZE / 2).toString("hex");
    for (const r of eofReplicas) {
      r.payloadStarted = true;
      r.client.socket.write(`$EOF:${mark}\r\n`);
    }
    const collected: Buffer[] = [];
    let total = 0;
    try {
      let step = await first;
      while (!step.done) {
        const chunk = step.value;
        if (diskReplicas.length > 0) {
          collected.push(chunk);
          total += chunk.length;
        }
        const live = eofReplicas.filter((r) => !r.client.socket.destroyed);
        if (live.length === 0 && diskReplicas.every((r) => r.client.socket.destroyed)) {
          // Every replica of this transfer went away: stop the walk (detaches its keyspace hook).
          await this.snapshot.return(undefined);
          this.done = true;
          return;
        }
        for (const r of live) r.client.socket.write(chunk);
        await waitForDrain(live);
        step = await this.snapshot.next();
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "snapshot for replication failed");
      for (const r of this.replicas) r.client.close();
      this.done = true;
      return;
    }
    for (const r of eofReplicas) {
      if (r.client.socket.destroyed) continue;
      r.client.socket.write(mark);
      r.putOnlineOnAck = true;
    }
    if (diskReplicas.length > 0) {
      // The chunks as they are, not concatenated: one copy of a large RDB would stall the loop.
      for (const r of diskReplicas) {
        if (r.client.socket.destroyed) continue;
        r.state = SlaveState.SEND_BULK;
        r.payloadStarted = true;
        const socket = r.client.socket;
        socket.cork();
        socket.write(`$${total}\r\n`);
        for (const chunk of collected) socket.write(chunk);
        socket.uncork();
        r.putOnline();
      }
    }
    this.done = true;
    this.log.info(
      { replicas: this.replicas.map((r) => `${r.ip}:${r.listeningPort}`), bytes: total || undefined },
      "Synchronization with replicas succeeded",
    );
  }
}

/** Waits until every live replica socket can take more (bounded memory while streaming a big RDB). */
function waitForDrain(replicas: AttachedReplica[]): Promise<void> | undefined {
  const full = replicas.filter((r) => r.client.socket.writableNeedDrain && !r.client.socket.destroyed);
  if (full.length === 0) return undefined;
  return Promise.all(
    full.map(
      (r) =>
        new Promise<void>((resolve) => {
          const s = r.client.socket;
          const done = () => {
            s.off("drain", done);
            s.off("close", done);
            resolve();
          };
          s.once("drain", done);
          s.once("close", done);
        }),
    ),
  ).then(() => undefined);
}
