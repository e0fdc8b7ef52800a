import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { INCOMPLETE, scanFrame } from "../resp/frame-scanner.js";
import { encodeCommand } from "../resp/reply-writer.js";
import type { CliTlsOptions } from "./cli-options.js";

/**
 * The one connection `tandem cli` talks over: commands go out as RESP arrays (encodeCommand), replies come
 * back as whole frames cut with scanFrame, in order. Failures carry the text redis-cli (hiredis) prints for
 * them ("Connection refused", "Server closed the connection"), so the CLI can print them the same way.
 */

/** hiredis reports connect and I/O failures with strerror() texts; Node gives error codes. */
const ERROR_TEXT: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EPIPE: "Broken pipe",
  ENOTFOUND: "Name or service not known",
  EAI_AGAIN: "Temporary failure in name resolution",
};

export const SERVER_CLOSED = "Server closed the connection";

/** A connect or I/O failure, `message` being the text to print. */
export class CliConnectionError extends Error {
  constructor(
    message: string,
    /** True when the server closed the connection or reset it (the REPL then just reconnects). */
    readonly lost: boolean,
  ) {
    super(message);
    this.name = "CliConnectionError";
  }
}

/** redis-cli's TLS options as node:tls options (the server's name is not checked, as hiredis). */
function tlsOptions(o: CliTlsOptions): ConnectionOptions {
  const ca: Buffer[] = [];
  if (o.cacert !== null) ca.push(readFileSync(o.cacert));
  if (o.cacertdir !== null)
    for (const n of readdirSync(o.cacertdir)) ca.push(readFileSync(join(o.cacertdir, n)));
  return {
    ...(ca.length > 0 ? { ca } : {}),
    ...(o.cert !== null ? { cert: readFileSync(o.cert) } : {}),
    ...(o.key !== null ? { key: readFileSync(o.key) } : {}),
    ...(o.sni !== null ? { servername: o.sni } : {}),
    rejectUnauthorized: !o.insecure,
    checkServerIdentity: () => undefined,
  };
}

function describe(err: NodeJS.ErrnoException): string {
  return (err.code && ERROR_TEXT[err.code]) || err.message;
}

export class CliConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: { resolve: (f: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: CliConnectionError | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      this.fail(new CliConnectionError(describe(err), err.code === "ECONNRESET" || err.code === "EPIPE")),
    );
    socket.on("close", () => this.fail(new CliConnectionError(SERVER_CLOSED, true)));
  }

  /** Connects (over TLS with `tls`); rejects with a CliConnectionError ("Connection refused", ...). */
  static open(host: string, port: number, tls: CliTlsOptions | null = null): Promise<CliConnection> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      try {
        socket = tls === null ? connect({ host, port }) : tlsConnect({ host, port, ...tlsOptions(tls) });
      } catch (err) {
        reject(new CliConnectionError((err as Error).message, false));
        return;
      }
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(new CliConnectionError(describe(err), false));
      };
      socket.once("error", onError);
      socket.once(tls === null ? "connect" : "secureConnect", () => {
        socket.off("error", onError);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 15_000);
        resolve(new CliConnection(socket));
      });
    });
  }

  /** Sends one command (arguments are latin1 "binary" strings: one char per byte). */
  send(args: readonly string[]): void {
    if (this.failure) return; // the next read reports it
    this.socket.write(encodeCommand(args));
  }

  /** The next reply frame; rejects with a CliConnectionError once the connection is gone. */
  next(): Promise<Buffer> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  close(): void {
    this.failure ??= new CliConnectionError(SERVER_CLOSED, true);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let pos = 0;
    try {
      for (;;) {
        const end = scanFrame(this.buf, pos, this.buf.length);
        if (end === INCOMPLETE) break;
        this.frames.push(Buffer.from(this.buf.subarray(pos, end)));
        pos = end;
      }
    } catch (err) {
      // A malformed reply: hiredis gives up on the connection with a "Protocol error" too.
      this.fail(new CliConnectionError((err as Error).message, false));
      this.socket.destroy();
      return;
    }
    this.buf = this.buf.subarray(pos);
    if (this.waiter && this.frames.length > 0) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(this.frames.shift()!);
    }
  }

  private fail(err: CliConnectionError): void {
    this.failure ??= err;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(this.failure);
    }
  }
}
