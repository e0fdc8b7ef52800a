import { createServer, type Server, type Socket } from "node:net";
import { saveRdbSync } from "../../src/persistence/rdb-snapshot.js";
import { RequestParser } from "../../src/resp/request-parser.js";
import { Keyspace } from "../../src/store/keyspace.js";

/**
 * A scripted master for replica tests: a plain TCP server that reads what a replica sends with the
 * server's own request parser, answers the handshake (PING → +PONG, AUTH and REPLCONF → +OK) and hands
 * each PSYNC to the test, which answers it (or not) through the link's socket.
 */

export interface FakeMasterLink {
  readonly socket: Socket;
  /** Every command the replica sent on this connection, in order. */
  readonly commands: string[][];
}

export class FakeMaster {
  readonly links: FakeMasterLink[] = [];
  private server: Server | null = null;
  port = 0;

  /** `onPsync(link, n, argv)`: the PSYNC of the n-th connection (0-based). */
  constructor(private readonly onPsync: (link: FakeMasterLink, n: number, argv: string[]) => void) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      const link: FakeMasterLink = { socket, commands: [] };
      const n = this.links.length;
      this.links.push(link);
      const parser = new RequestParser();
      socket.on("error", () => {});
      socket.on("data", (d: Buffer) => {
        parser.feed(d, {
          onCommand: (argv) => {
            link.commands.push(argv);
            const name = argv[0].toUpperCase();
            if (name === "PING") socket.write("+PONG\r\n");
            else if (name === "REPLCONF" || name === "AUTH") {
              if (!(name === "REPLCONF" && argv[1]?.toUpperCase() === "ACK")) socket.write("+OK\r\n");
            } else if (name === "PSYNC") this.onPsync(link, n, argv);
            return true;
          },
        });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const addr = server.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : 0;
  }

  async stop(): Promise<void> {
    for (const l of this.links) l.socket.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** An RDB holding `keys` (strings in db 0). */
export function rdbWith(keys: Record<string, string>): Buffer {
  const ks = new Keyspace(16);
  for (const [k, v] of Object.entries(keys)) ks.dbs[0].dict.set(k, v);
  return Buffer.concat(saveRdbSync(ks, { replStreamDb: 0 }));
}

/** Answers a PSYNC with +FULLRESYNC and the RDB as a `$<len>` bulk. */
export function fullResync(socket: Socket, replid: string, offset: number, rdb: Buffer): void {
  socket.write(`+FULLRESYNC ${replid} ${offset}\r\n$${rdb.length}\r\n`);
  socket.write(rdb);
}
