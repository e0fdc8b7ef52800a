import { readFileSync } from "node:fs";
import {
  type ConnectionOptions,
  createSecureContext,
  createServer,
  type SecureContextOptions,
  type TLSSocket,
  type Server as TlsServer,
} from "node:tls";
import type { Logger } from "pino";
import type { ServerConfig } from "../config/server-config.js";
import { strerror } from "../net/strerror.js";
import {
  cipherString,
  loadCaCertificates,
  loadCertificate,
  loadPrivateKey,
  protocolOptions,
  TlsSettingsError,
} from "../net/tls-settings.js";

/**
 * The server's TLS (Redis's tls.c, with node:tls): the `tls-port` listeners, the server context built from
 * the tls-* directives, the client context the replication link uses with `tls-replication yes`, and a
 * session cache sized and timed as `tls-session-cache-*` say.
 *
 * As in Redis, everything is (re)built by `configure()`: at start-up when `tls-port` or `tls-replication`
 * is set (a failure stops start-up), and on CONFIG SET of any tls-* file or setting (a failure rolls the
 * CONFIG SET back). A new context takes effect for new connections; established ones keep theirs.
 *
 * TLS clients read through 'data' events like the plain ones (src/server/client.ts): node:tls decrypts into
 * fresh buffers, so the plain listener's path is not touched by any of this.
 */

export type TlsAuthClients = "yes" | "no" | "optional";

/** Why CONFIG SET of a tls-* parameter failed (Redis's text; the details are in the log). */
export const TLS_APPLY_FAILED = "Unable to update TLS configuration. Check server logs.";
/** Redis's start-up message after the detailed one. */
export const TLS_STARTUP_FAILED = "Failed to configure TLS. Check logs for more info.";

export class ServerTls {
  /** The server side's context options (null until configured). */
  private serverOptions: SecureContextOptions | null = null;
  /** What the replication link connects with (the client certificate, the CA, protocols, ciphers). */
  private clientOptions: ConnectionOptions | null = null;
  private readonly listeners: TlsServer[] = [];
  private readonly sessions = new TlsSessionCache();
  /** The TLS port actually bound (0 when none). */
  boundPort = 0;

  constructor(
    private readonly config: ServerConfig,
    private readonly log: Logger,
    /** Called with each client whose handshake succeeded (and whose certificate passed). */
    private readonly onClient: (socket: TLSSocket) => void,
  ) {
    config.onChange("tls-auth-clients", () => {
      for (const l of this.listeners) applyAuthMode(l, this.authMode);
    });
  }

  /** Redis configures TLS when it listens with it or replicates over it (tls-cluster has no effect here). */
  get wanted(): boolean {
    return this.config.getInt("tls-port") !== 0 || this.config.getBool("tls-replication");
  }

  private get authMode(): TlsAuthClients {
    return this.config.get("tls-auth-clients") as TlsAuthClients;
  }

  /**
   * Builds the contexts from the configuration (Redis's tlsConfigure). On success the listeners take the
   * new server context; on failure nothing changes, the reason is logged as Redis logs it and returned.
   */
  configure(): string | null {
    try {
      this.build();
      return null;
    } catch (err) {
      if (!(err instanceof TlsSettingsError)) throw err;
      this.log.warn(err.message);
      return err.message;
    }
  }

  /** The CONFIG SET applier of the tls-* parameters. */
  apply(): string | null {
    if (!this.wanted) return null;
    return this.configure() === null ? null : TLS_APPLY_FAILED;
  }

  private build(): void {
    const cfg = this.config;
    const certFile = cfg.get("tls-cert-file");
    const keyFile = cfg.get("tls-key-file");
    if (certFile === "") throw new TlsSettingsError("No tls-cert-file configured!");
    if (keyFile === "") throw new TlsSettingsError("No tls-key-file configured!");
    const caFile = cfg.get("tls-ca-cert-file");
    const caDir = cfg.get("tls-ca-cert-dir");
    if ((this.authMode !== "no" || cfg.getBool("tls-replication")) && caFile === "" && caDir === "")
      throw new TlsSettingsError(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!",
      );
    const protocols = protocolOptions(cfg.get("tls-protocols"));
    const cert = loadCertificate(certFile);
    const key = loadPrivateKey(keyFile, cfg.get("tls-key-file-pass"), cert);
    // No CA configured trusts nothing (as Redis, which never loads OpenSSL's default paths), not Node's
    // built-in public roots: a client certificate from any public CA must not pass tls-auth-clients.
    const ca = caFile === "" && caDir === "" ? [] : loadCaCertificates(caFile, caDir);
    const ciphers = cipherString(cfg.get("tls-ciphers"), cfg.get("tls-ciphersuites"));
    const common = { ...protocols, ca, ciphers };

    const dhFile = cfg.get("tls-dh-params-file");
    let dhparam: Buffer | undefined;
    if (dhFile !== "") {
      try {
        dhparam = readFileSync(dhFile);
      } catch (err) {
        throw new TlsSettingsError(`Failed to load ${dhFile}: ${strerror(err)}`);
      }
      // node:tls ignores parameters it cannot read (the context then has none), so look for them first.
      let readable = /-----BEGIN (X9\.42 )?DH PARAMETERS-----/.test(dhparam.toString("latin1"));
      try {
        if (readable) createSecureContext({ dhparam });
      } catch {
        readable = false;
      }
      if (!readable) throw new TlsSettingsError(`${dhFile}: failed to read DH params.`);
    }
    const caching = cfg.getBool("tls-session-caching");
    const timeout = cfg.getInt("tls-session-cache-timeout");
    const serverOptions: SecureContextOptions = {
      ...common,
      cert,
      key,
      // Without a file, OpenSSL picks DH parameters to match the key, as Redis asks it to (SSL_CTX_set_dh_auto).
      dhparam: dhparam ?? "auto",
      honorCipherOrder: cfg.getBool("tls-prefer-server-ciphers"),
      sessionIdContext: "tandem",
      // The lifetime of cached sessions and of session tickets alike (OpenSSL's SSL_CTX_set_timeout).
      sessionTimeout: caching && timeout > 0 ? timeout : undefined,
    };

    // The replication link's client certificate: tls-client-* when both are set, else the server's own.
    const clientCertFile = cfg.get("tls-client-cert-file");
    const clientKeyFile = cfg.get("tls-client-key-file");
    let clientCert = cert;
    let clientKey = key;
    if (clientCertFile !== "" && clientKeyFile !== "") {
      clientCert = loadCertificate(clientCertFile);
      clientKey = loadPrivateKey(clientKeyFile, cfg.get("tls-client-key-file-pass"), clientCert);
    }
    const clientOptions: ConnectionOptions = { ...common, cert: clientCert, key: clientKey };

    // Whatever else OpenSSL refuses in the combination (a curve the protocol range cannot use, ...).
    try {
      createSecureContext(serverOptions);
      createSecureContext(clientOptions);
    } catch (err) {
      throw new TlsSettingsError(`Failed to configure TLS: ${(err as Error).message}`);
    }
    this.serverOptions = serverOptions;
    this.clientOptions = clientOptions;
    this.sessions.configure(caching, cfg.getInt("tls-session-cache-size"), timeout);
    for (const l of this.listeners) l.setSecureContext(serverOptions);
  }

  /**
   * Options for the replication link to the master (`tls-replication yes`), or null for plain TCP. As in
   * Redis, the master's certificate must chain to the configured CA; its host name is not checked (a
   * replica is pointed at an address, often an IP the certificate does not name).
   */
  replicationOptions(): ConnectionOptions | null {
    if (!this.config.getBool("tls-replication")) return null;
    // Configured at start-up or by the CONFIG SET that turned tls-replication on; should it still be
    // missing, the link tries TLS without a certificate or CA and fails (logged), never plain TCP.
    if (this.clientOptions === null) this.configure();
    return { ...this.clientOptions, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }

  // ─── listening ──────────────────────────────────────────────────────────────────────────────────────

  /** Listens on one address with TLS; resolves with the bound port. */
  listenOn(host: string, port: number, backlog: number): Promise<number> {
    if (this.serverOptions === null) throw new Error("TLS is not configured");
    const srv = createServer({ ...this.serverOptions, noDelay: true });
    applyAuthMode(srv, this.authMode);
    srv.on("secureConnection", (socket: TLSSocket) => this.secured(socket));
    srv.on("tlsClientError", (err) =>
      this.log.debug({ err: err.message }, "Error accepting a client connection"),
    );
    srv.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
      this.sessions.add(id, data);
      done();
    });
    srv.on("resumeSession", (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) =>
      done(null, this.sessions.get(id)),
    );
    return new Promise((resolve, reject) => {
      srv.once("error", reject);
      srv.listen({ host, port, backlog, ipv6Only: host.includes(":") }, () => {
        srv.off("error", reject);
        this.listeners.push(srv);
        const a = srv.address();
        this.boundPort = typeof a === "object" && a ? a.port : port;
        resolve(this.boundPort);
      });
    });
  }

  private secured(socket: TLSSocket): void {
    // `optional`: no certificate is fine, but one that is presented must verify (OpenSSL's SSL_VERIFY_PEER
    // without FAIL_IF_NO_PEER_CERT); node:tls accepted it because rejectUnauthorized is off for this mode.
    if (this.authMode === "optional" && !socket.authorized && hasPeerCertificate(socket)) {
      this.log.debug(
        { err: String(socket.authorizationError) },
        "Error accepting a client connection: certificate verify failed",
      );
      socket.destroy();
      return;
    }
    this.onClient(socket);
  }

  close(): void {
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
  }
}

/**
 * tls-auth-clients on a listener: node:tls reads these two fields of its server for each new connection,
 * so a CONFIG SET takes effect on the next client (as in Redis, where it is read at accept time).
 * yes: a certificate is required (the handshake fails without one) and must verify; optional: one is
 * asked for; no: none is asked for.
 */
function applyAuthMode(srv: TlsServer, mode: TlsAuthClients): void {
  const fields = srv as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
  fields.requestCert = mode !== "no";
  fields.rejectUnauthorized = mode === "yes";
}

function hasPeerCertificate(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && Object.keys(cert).length > 0;
}

/**
 * Server-side session cache for session-ID resumption (TLSv1.2 and below; TLSv1.3 resumes with tickets,
 * whose lifetime is the same timeout): `tls-session-cache-size` entries at most (0 = no limit, the oldest
 * go first, as OpenSSL's cache), each valid `tls-session-cache-timeout` seconds.
 */
class TlsSessionCache {
  private readonly entries = new Map<string, { data: Buffer; expires: number }>();
  private enabled = true;
  private size = 20480;
  private timeoutMs = 300_000;

  configure(enabled: boolean, size: number, timeoutSeconds: number): void {
    this.enabled = enabled && timeoutSeconds > 0;
    this.size = size;
    this.timeoutMs = timeoutSeconds * 1000;
    if (!this.enabled) this.entries.clear();
    this.trim();
  }

  add(id: Buffer, data: Buffer): void {
    if (!this.enabled) return;
    const key = id.toString("hex");
    const now = Date.now();
    // Oldest first: expired entries are dropped from the front as new ones come in.
    for (const [k, e] of this.entries) {
      if (e.expires > now) break;
      this.entries.delete(k);
    }
    this.entries.delete(key);
    this.entries.set(key, { data, expires: now + this.timeoutMs });
    this.trim();
  }

  get(id: Buffer): Buffer | null {
    if (!this.enabled) return null;
    const key = id.toString("hex");
    const e = this.entries.get(key);
    if (e === undefined) return null;
    if (e.expires <= Date.now()) {
      this.entries.delete(key);
      return null;
    }
    return e.data;
  }

  private trim(): void {
    if (this.size === 0) return;
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.size) break;
      this.entries.delete(key);
    }
  }
}
