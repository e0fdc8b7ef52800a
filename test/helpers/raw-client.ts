import { connect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { INCOMPLETE, scanFrame } from "../../src/resp/frame-scanner.js";
import { encodeCommand } from "../../src/resp/reply-writer.js";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";

/**
 * A minimal RESP client for tests: sends commands and returns each reply's raw bytes (for byte-exact
 * comparisons with Redis) or its decoded value. Replies are matched to requests in order.
 */
export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiting: { n: number; resolve: (frames: Buffer[]) => void; reject: (e: Error) => void }[] =
    [];
  private closedError: Error | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    const fail = (err: Error) => {
      this.closedError = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  /** Connects with TLS; resolves once the handshake is done (rejects if it fails). */
  static connectTls(port: number, options: ConnectionOptions, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ ...options, port, host }, () => {
        s.off("error", reject);
        resolve(new RawClient(s));
      });
      s.once("error", reject);
    });
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const w = this.waiting[0];
      const frames: Buffer[] = [];
      let pos = 0;
      while (frames.length < w.n) {
        const end = scanFrame(this.buf, pos, this.buf.length);
        if (end === INCOMPLETE) break;
        frames.push(Buffer.from(this.buf.subarray(pos, end)));
        pos = end;
      }
      if (frames.length < w.n) return;
      this.buf = this.buf.subarray(pos);
      this.waiting.shift();
      w.resolve(frames);
    }
  }

  /** Sends raw bytes and resolves with the next `n` reply frames. */
  sendRaw(bytes: Buffer | string, n = 1): Promise<Buffer[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const p = new Promise<Buffer[]>((resolve, reject) => this.waiting.push({ n, resolve, reject }));
    this.socket.write(bytes);
    this.drain();
    return p;
  }

  /** Reads the next `n` frames without sending anything (pushes, blocked replies). */
  read(n = 1): Promise<Buffer[]> {
    return this.sendRaw(Buffer.alloc(0), n);
  }

  /** One command → its raw reply bytes. */
  async raw(...args: (string | number)[]): Promise<Buffer> {
    const [f] = await this.sendRaw(encodeCommand(args.map(String)));
    return f;
  }

  /** One command → its reply as the reply text ("latin1"), handy for assertions. */
  async text(...args: (string | number)[]): Promise<string> {
    return (await this.raw(...args)).toString("latin1");
  }

  /** One command → decoded reply (bulk strings as Buffer, errors as RespErrorReply values). */
  async call(...args: (string | number)[]): Promise<RespValue> {
    const f = await this.raw(...args);
    return RespDecoder.decodeAll(f)[0];
  }

  /** Several commands pipelined in one write → their raw replies. */
  async pipeline(cmds: (string | number)[][]): Promise<Buffer[]> {
    return this.sendRaw(Buffer.concat(cmds.map((c) => encodeCommand(c.map(String)))), cmds.length);
  }

  close(): void {
    this.socket.destroy();
  }
}
