import { connect, type Socket } from "node:net";
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from "node:tls";
import {
  cipherString,
  loadCaCertificates,
  loadCertificate,
  loadPrivateKey,
  TlsSettingsError,
} from "../net/tls-settings.js";
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
    /**
     * The TLS settings themselves are unusable (a CA, certificate or key file): redis-cli says "Could not
     * negotiate a TLS connection: ..." for these, instead of "Could not connect to Redis at ...".
     */
    readonly tlsSetup = false,
  ) {
    super(message);
    this.name = "CliConnectionError";
  }
}

function describe(err: NodeJS.ErrnoException & { reason?: string }, connecting: boolean): string {
  if (err.code && ERROR_TEXT[err.code]) return ERROR_TEXT[err.code];
  // An OpenSSL failure: OpenSSL's reason text, after hiredis's prefix when it happened in the handshake
  // (later, e.g. the server's alert refusing a missing client certificate, the reason alone).
  if (typeof err.reason === "string") return connecting ? `SSL_connect failed: ${err.reason}` : err.reason;
  return err.message;
}

/**
 * node:tls options for redis-cli's TLS flags, with redis-cli's texts when a file or setting is unusable.
 * As hiredis, the server's certificate must chain to the CA (unless --insecure) but its name is not checked;
 * a certificate is sent only when both --cert and --key are given.
 */
export function cliTlsOptions(t: CliTlsOptions): ConnectionOptions {
  const setup = (text: string) => new CliConnectionError(text, false, true);
  const o: ConnectionOptions = { rejectUnauthorized: false, checkServerIdentity: () => undefined };
  if (t.cacert !== null || t.cacertdir !== null) {
    try {
      o.ca = loadCaCertificates(t.cacert ?? "", t.cacertdir ?? "");
    } catch (err) {
      if (!(err instanceof TlsSettingsError)) throw err;
      throw setup("Invalid CA Certificate File/Directory");
    }
  }
  let cert: Buffer | null = null;
  if (t.cert !== null) {
    try {
      cert = loadCertificate(t.cert);
    } catch (err) {
      if (!(err instanceof TlsSettingsError)) throw err;
      throw setup("Invalid client certificate");
    }
  }
  if (t.key !== null) {
    try {
      const key = loadPrivateKey(t.key, "", cert);
      if (cert !== null) {
        o.cert = cert;
        o.key = key;
      }
    } catch (err) {
      if (!(err instanceof TlsSettingsError)) throw err;
      throw setup("Invalid private key");
    }
  }
  const ciphers = t.ciphers ?? "";
  const suites = t.ciphersuites ?? "";
  try {
    cipherString(ciphers, "");
  } catch {
    throw setup("Error while configuring ciphers");
  }
  try {
    cipherString("", suites);
  } catch {
    throw setup("Error while setting cypher suites");
  }
  o.ciphers = cipherString(ciphers, suites);
  if (t.sni !== null) o.servername = t.sni;
  return o;
}

export class CliConnection {
  private buf: Buffer = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: { resolve: (f: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: CliConnectionError | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      this.fail(
        new CliConnectionError(describe(err, false), err.code === "ECONNRESET" || err.code === "EPIPE"),
      ),
    );
    socket.on("close", () => this.fail(new CliConnectionError(SERVER_CLOSED, true)));
  }

  /**
   * Connects (with TLS when `tls` is given: options from cliTlsOptions, plus whether to verify); rejects
   * with a CliConnectionError ("Connection refused", "SSL_connect failed: certificate verify failed", ...).
   */
  static open(
    host: string,
    port: number,
    tls: { options: ConnectionOptions; verify: boolean } | null = null,
  ): Promise<CliConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls === null ? connect({ host, port }) : tlsConnect({ ...tls.options, host, port });
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(new CliConnectionError(describe(err, true), false));
      };
      socket.once("error", onError);
      socket.once(tls === null ? "connect" : "secureConnect", () => {
        socket.off("error", onError);
        if (tls?.verify && !(socket as TLSSocket).authorized) {
          socket.destroy();
          reject(new CliConnectionError("SSL_connect failed: certificate verify failed", false));
          return;
        }
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
