import { connect, type Socket } from "node:net";
import { encodeCommand } from "../resp/reply-writer.js";
import { RespDecoder } from "../resp/resp-decoder.js";
import type { RespValue } from "../resp/resp-value.js";

/**
 * The RESP client behind `tandem status|drain|undrain`: one connection, one command at a time, every
 * failure a one-line AdminError (an operator wants "connection refused", not a stack or a retry loop — so
 * no ioredis, whose reconnects and offline queue would have to be switched off one by one).
 * Error replies (-ERR, -NOPERM, -WRONGPASS ...) are returned as RespErrorReply values, not thrown: the
 * caller decides what an error reply means.
 */

/** A failure to print as it is: one line, no stack, without the "tandem <command>:" prefix. */
export class AdminError extends Error {
  override readonly name = "AdminError";
}

interface Waiting {
  resolve: (value: RespValue) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Node's error codes in words; anything else is shown by its own message. */
const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  EADDRNOTAVAIL: "address not available",
};

/** A socket error in words. With several addresses for a host (Node's autoSelectFamily) the error is an
 * AggregateError whose code may sit on its first member only. */
function describeSocketError(err: Error): string {
  let e = err as NodeJS.ErrnoException;
  if (e.code === undefined && err instanceof AggregateError && err.errors[0] instanceof Error) {
    e = err.errors[0] as NodeJS.ErrnoException;
  }
  return (e.code !== undefined ? CONNECT_ERRORS[e.code] : undefined) ?? firstLine(e.message);
}

function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return nl < 0 ? text : text.slice(0, nl);
}

/** "PROXY BACKENDS", "AUTH": what a timeout names — never the arguments, which may hold a password. */
function commandName(args: readonly string[]): string {
  const first = args[0]?.toUpperCase() ?? "";
  return first === "PROXY" && args.length > 1 ? `PROXY ${args[1].toUpperCase()}` : first;
}

export class AdminClient {
  private readonly decoder = new RespDecoder();
  private readonly waiting: Waiting[] = [];
  /** Set once the connection is unusable; later commands fail with it at once. */
  private broken: AdminError | null = null;

  private constructor(
    private readonly socket: Socket,
    /** "host:port", for messages. */
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) =>
      this.fail(new AdminError(`lost the proxy at ${address}: ${describeSocketError(err)}`)),
    );
    socket.on("close", () => this.fail(new AdminError(`the proxy at ${address} closed the connection`)));
  }

  /** Connects within `timeoutMs`, or rejects with "cannot connect to the proxy at host:port: <why>". */
  static connect(host: string, port: number, timeoutMs: number): Promise<AdminClient> {
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new AdminError(`cannot connect to the proxy at ${address}: ${why}`));
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs / 1000} s`), timeoutMs);
      socket.once("error", (err) => fail(describeSocketError(err)));
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        resolve(new AdminClient(socket, address, timeoutMs));
      });
    });
  }

  /**
   * Sends one command and resolves with its decoded reply (error replies included). Rejects with an
   * AdminError when the connection fails or no reply comes within the timeout. Arguments are sent as UTF-8.
   */
  command(args: readonly string[]): Promise<RespValue> {
    if (this.broken !== null) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          new AdminError(
            `the proxy at ${this.address} did not answer ${commandName(args)} within ${this.timeoutMs / 1000} s`,
          ),
        );
      }, this.timeoutMs);
      this.waiting.push({ resolve, reject, timer });
      // encodeCommand writes each character as one byte: hand it the UTF-8 bytes as latin1 characters.
      this.socket.write(encodeCommand(args.map((a) => Buffer.from(a, "utf8").toString("latin1"))));
    });
  }

  /** Closes the connection; pending commands fail. Safe to call more than once. */
  close(): void {
    this.fail(new AdminError(`the connection to the proxy at ${this.address} was closed`));
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.feed(chunk);
      for (let v = this.decoder.next(); v !== undefined; v = this.decoder.next()) {
        const w = this.waiting.shift();
        if (w === undefined) {
          this.fail(new AdminError(`the proxy at ${this.address} sent a reply nobody asked for`));
          return;
        }
        clearTimeout(w.timer);
        w.resolve(v);
      }
    } catch (err) {
      this.fail(
        new AdminError(`the proxy at ${this.address} sent bad RESP: ${firstLine((err as Error).message)}`),
      );
    }
  }

  /** Marks the connection unusable (the first reason wins), fails whatever waits, and closes the socket. */
  private fail(err: AdminError): void {
    if (this.broken === null) this.broken = err;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(this.broken);
    }
    this.socket.destroy();
  }
}
