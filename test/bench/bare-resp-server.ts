import { createServer, type Socket } from "node:net";

/**
 * The reference row of the server benchmark: the least a Node.js RESP server can do per request on this
 * machine. It parses multibulk requests, keeps strings in one Map, and answers what redis-benchmark's
 * SET/GET/INCR/MSET/PING send, with none of Redis's semantics (no expiry, no types, no persistence, no
 * replication, no limits, no error texts). Whatever Tandem costs beyond this row is Tandem's; what this row
 * costs against redis-server is Node's.
 *
 * Run as a process: `node dist/test/bench/bare-resp-server.js <port>`; prints "ready" when listening.
 */

const OK = Buffer.from("+OK\r\n");
const PONG = Buffer.from("+PONG\r\n");
const NIL = Buffer.from("$-1\r\n");
const ERR = Buffer.from("-ERR unknown\r\n");

class BareConnection {
  private pending: Buffer | null = null;
  private readonly out: Buffer[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly data: Map<string, string>,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let pos = 0;
    while (pos < buf.length) {
      const next = this.one(buf, pos);
      if (next < 0) {
        this.pending = buf.subarray(pos);
        break;
      }
      pos = next;
    }
    if (this.out.length === 1) this.socket.write(this.out[0]);
    else if (this.out.length > 1) this.socket.write(Buffer.concat(this.out));
    this.out.length = 0;
  }

  /** Parses and runs one multibulk command at `pos`; the position after it, or -1 when incomplete. */
  private one(buf: Buffer, pos: number): number {
    let nl = buf.indexOf(13, pos);
    if (nl < 0 || nl + 1 >= buf.length) return -1;
    let n = 0;
    for (let i = pos + 1; i < nl; i++) n = n * 10 + buf[i] - 48;
    let p = nl + 2;
    const argv: string[] = new Array(n);
    for (let k = 0; k < n; k++) {
      if (p >= buf.length) return -1;
      nl = buf.indexOf(13, p);
      if (nl < 0) return -1;
      let len = 0;
      for (let i = p + 1; i < nl; i++) len = len * 10 + buf[i] - 48;
      const start = nl + 2;
      if (start + len + 2 > buf.length) return -1;
      argv[k] = buf.latin1Slice(start, start + len);
      p = start + len + 2;
    }
    this.run(argv);
    return p;
  }

  private run(argv: string[]): void {
    const name = argv[0];
    const data = this.data;
    if (name === "SET" || name === "set") {
      data.set(argv[1], argv[2]);
      this.out.push(OK);
    } else if (name === "GET" || name === "get") {
      const v = data.get(argv[1]);
      this.out.push(v === undefined ? NIL : Buffer.from(`$${v.length}\r\n${v}\r\n`, "latin1"));
    } else if (name === "INCR" || name === "incr") {
      const v = Number(data.get(argv[1]) ?? "0") + 1;
      data.set(argv[1], String(v));
      this.out.push(Buffer.from(`:${v}\r\n`));
    } else if (name === "MSET" || name === "mset") {
      for (let i = 1; i + 1 < argv.length; i += 2) data.set(argv[i], argv[i + 1]);
      this.out.push(OK);
    } else if (name === "PING" || name === "ping") {
      this.out.push(PONG);
    } else if (name === "CONFIG" || name === "config") {
      // redis-benchmark asks for "save" and "appendonly" first.
      this.out.push(Buffer.from("*2\r\n$4\r\nsave\r\n$0\r\n\r\n"));
    } else {
      this.out.push(ERR);
    }
  }
}

declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
  }
}

const port = Number(process.argv[2] ?? 0);
const data = new Map<string, string>();
const server = createServer((s) => new BareConnection(s, data));
server.listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => process.exit(0));
