import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConnectionOptions, TLSSocket, TlsOptions } from "node:tls";
import type { ServerConfig } from "./server-config.js";
import { strerror } from "./strerror.js";

/**
 * TLS as Redis 7.0 configures it (tls.c), on node:tls: the server's certificate and key, the CAs that
 * client certificates (and a master's certificate) must chain to, client authentication
 * (tls-auth-clients yes / optional / no) and the replication link's own certificate (tls-client-cert-file,
 * else the server's). Like Redis, certificates are checked against the CAs but host names are not.
 */

export class TlsConfigError extends Error {}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsConfigError(`Failed to load ${what} '${file}': ${strerror(err)}`);
  }
}

/** tls-ca-cert-file and every file of tls-ca-cert-dir; undefined: the system's CAs. */
function caCerts(cfg: ServerConfig): Buffer[] | undefined {
  const out: Buffer[] = [];
  const file = cfg.get("tls-ca-cert-file");
  if (file !== "") out.push(readPem("tls-ca-cert-file", file));
  const dir = cfg.get("tls-ca-cert-dir");
  if (dir !== "") {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw new TlsConfigError(`Failed to read tls-ca-cert-dir '${dir}': ${strerror(err)}`);
    }
    for (const n of names) out.push(readPem("a CA certificate", join(dir, n)));
  }
  return out.length > 0 ? out : undefined;
}

/** tls-protocols ("TLSv1.2 TLSv1.3") as node's version range; Redis's default is TLSv1.2 and up. */
function versions(cfg: ServerConfig): Pick<TlsOptions, "minVersion" | "maxVersion"> {
  const list = cfg
    .get("tls-protocols")
    .split(" ")
    .filter((p) => p !== "");
  const known = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
  if (list.length === 0) return { minVersion: "TLSv1.2" };
  const picked = known.filter((k) => list.some((p) => p.toLowerCase() === k.toLowerCase()));
  if (picked.length !== list.length) throw new TlsConfigError(`Invalid tls-protocols '${list.join(" ")}'`);
  return { minVersion: picked[0], maxVersion: picked[picked.length - 1] };
}

function ciphers(cfg: ServerConfig): Pick<TlsOptions, "ciphers"> {
  const parts = [cfg.get("tls-ciphersuites"), cfg.get("tls-ciphers")].filter((c) => c !== "");
  return parts.length > 0 ? { ciphers: parts.join(":") } : {};
}

/**
 * The listener's options. A client certificate is always asked for and checked after the handshake
 * (`acceptsPeer`), so tls-auth-clients can change at run time as in Redis.
 */
export function serverTlsOptions(cfg: ServerConfig): TlsOptions {
  const certFile = cfg.get("tls-cert-file");
  const keyFile = cfg.get("tls-key-file");
  if (certFile === "" || keyFile === "") {
    throw new TlsConfigError(
      "Failed to configure TLS: tls-cert-file and tls-key-file are required with tls-port",
    );
  }
  const pass = cfg.get("tls-key-file-pass");
  return {
    cert: readPem("tls-cert-file", certFile),
    key: readPem("tls-key-file", keyFile),
    ...(pass !== "" ? { passphrase: pass } : {}),
    ca: caCerts(cfg),
    requestCert: true,
    rejectUnauthorized: false,
    ...versions(cfg),
    ...ciphers(cfg),
  };
}

/**
 * Whether a TLS client may stay (tls-auth-clients): "yes" needs a certificate that chains to the CAs,
 * "optional" refuses only an invalid one, "no" takes anyone.
 */
export function acceptsPeer(authClients: string, socket: TLSSocket): boolean {
  if (authClients === "no" || socket.authorized) return true;
  if (authClients === "optional") return Object.keys(socket.getPeerCertificate() ?? {}).length === 0;
  return false;
}

/** The replication link's options (tls-replication yes): its certificate, and the master's checked against the CAs. */
export function replicationTlsOptions(cfg: ServerConfig): ConnectionOptions {
  const certFile = cfg.get("tls-client-cert-file") || cfg.get("tls-cert-file");
  const keyFile =
    cfg.get("tls-client-cert-file") !== "" ? cfg.get("tls-client-key-file") : cfg.get("tls-key-file");
  const pass =
    cfg.get("tls-client-cert-file") !== ""
      ? cfg.get("tls-client-key-file-pass")
      : cfg.get("tls-key-file-pass");
  return {
    ...(certFile !== "" ? { cert: readPem("the client certificate", certFile) } : {}),
    ...(keyFile !== "" ? { key: readPem("the client key", keyFile) } : {}),
    ...(pass !== "" ? { passphrase: pass } : {}),
    ca: caCerts(cfg),
    rejectUnauthorized: true,
    // Redis checks the chain (SSL_VERIFY_PEER), not the name: masters are often addressed by IP.
    checkServerIdentity: () => undefined,
    ...versions(cfg),
    ...ciphers(cfg),
  };
}
