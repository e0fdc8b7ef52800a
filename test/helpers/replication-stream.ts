import { connect, type Socket } from "node:net";
import { INCOMPLETE, scanFrame } from "../../src/resp/frame-scanner.js";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import { waitFor } from "./wait-for.js";

/**
 * Listens to a master's replication stream the way a replica would (PSYNC ? -1 without `capa eof`, so the
 * RDB comes as `$<len>`), skips the RDB, and records every command propagated afterwards. Used to check
 * what a command propagates (e.g. a served BZPOPMIN as ZPOPMIN) against redis-server's own stream.
 * PING and REPLCONF (keepalives, GETACK) are left out; SELECT, MULTI and EXEC are kept.
 */
export class ReplicationStream {
  readonly commands: string[][] = [];
  private buf: Buffer = Buffer.alloc(0);
  private state: "fullresync" | "rdb-header" | "rdb" | "stream" = "fullresync";
  private rdbLeft = 0;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<ReplicationStream> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: "127.0.0.1" }, () => {
        s.off("error", reject);
        s.write("PSYNC ? -1\r\n");
        resolve(new ReplicationStream(s));
      });
      s.once("error", reject);
    });
  }

  /** Resolves once the RDB has been skipped and commands are being recorded. */
  async ready(): Promise<void> {
    await waitFor("the replication stream after the RDB", () => this.state === "stream");
  }

  /** Waits until a command whose words equal `args` (case-insensitively) has arrived. */
  async until(...args: string[]): Promise<void> {
    const want = args.join("\0").toLowerCase();
    await waitFor(`${args.join(" ")} in the replication stream`, () =>
      this.commands.some((c) => c.join("\0").toLowerCase() === want),
    );
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      if (this.state === "fullresync" || this.state === "rdb-header") {
        // Newlines are keepalives sent while the RDB is produced.
        let pos = 0;
        while (pos < this.buf.length && this.buf[pos] === 0x0a) pos++;
        const eol = this.buf.indexOf("\r\n", pos);
        if (eol < 0) {
          this.buf = this.buf.subarray(pos);
          return;
        }
        const line = this.buf.toString("latin1", pos, eol);
        this.buf = this.buf.subarray(eol + 2);
        if (this.state === "fullresync") {
          if (!line.startsWith("+FULLRESYNC")) throw new Error(`unexpected PSYNC reply ${line}`);
          this.state = "rdb-header";
        } else {
          if (!line.startsWith("$")) throw new Error(`unexpected RDB header ${line}`);
          this.rdbLeft = Number(line.slice(1));
          this.state = "rdb";
        }
      } else if (this.state === "rdb") {
        const n = Math.min(this.rdbLeft, this.buf.length);
        this.rdbLeft -= n;
        this.buf = this.buf.subarray(n);
        if (this.rdbLeft > 0) return;
        this.state = "stream";
      } else {
        const end = scanFrame(this.buf, 0, this.buf.length);
        if (end === INCOMPLETE) return;
        const v = RespDecoder.decodeAll(Buffer.from(this.buf.subarray(0, end)))[0];
        this.buf = this.buf.subarray(end);
        if (!Array.isArray(v)) continue;
        const words = v.map((x) => (x instanceof Buffer ? x.toString("latin1") : String(x)));
        const name = words[0]?.toLowerCase();
        if (name !== "ping" && name !== "replconf") this.commands.push(words);
      }
    }
  }
}
