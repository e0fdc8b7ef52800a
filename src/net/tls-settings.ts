import { constants, createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, DEFAULT_CIPHERS, type SecureVersion } from "node:tls";
import { strerror } from "./strerror.js";

/**
 * Turning Redis-style TLS settings (file names, `tls-protocols`, `tls-ciphers`, `tls-ciphersuites`) into
 * node:tls options, shared by the server, the proxy and the CLI. Every file is read and checked here, so a
 * bad one is reported with its name and what is wrong with it (as Redis's tlsConfigure logs it), not as a
 * bare OpenSSL error from deep inside createSecureContext.
 */

/** A TLS setting that cannot be used; the message names the file or value (Redis's log line). */
export class TlsSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TlsSettingsError";
  }
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsSettingsError(`${what}: ${file}: ${strerror(err)}`);
  }
}

/** A PEM certificate (chain) file, checked to hold a certificate. */
export function loadCertificate(file: string, what = "Failed to load certificate"): Buffer {
  const pem = read(file, what);
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new TlsSettingsError(`${what}: ${file}: ${(err as Error).message}`);
  }
  return pem;
}

/**
 * A PEM private key, checked against the certificate it goes with when one is given. An encrypted key is
 * decrypted with `passphrase` and returned decrypted (PKCS#8 PEM), so the contexts built from it need no
 * passphrase.
 */
export function loadPrivateKey(
  file: string,
  passphrase: string,
  cert: Buffer | null,
  what = "Failed to load private key",
): Buffer {
  const pem = read(file, what);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: pem,
      format: "pem",
      passphrase: passphrase === "" ? undefined : passphrase,
    });
  } catch (err) {
    throw new TlsSettingsError(`${what}: ${file}: ${(err as Error).message}`);
  }
  if (cert !== null && !new X509Certificate(cert).checkPrivateKey(key))
    throw new TlsSettingsError(`${what}: ${file}: key values mismatch`);
  return passphrase === "" ? pem : Buffer.from(key.export({ type: "pkcs8", format: "pem" }));
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The trusted CA certificates of a file and/or a directory. OpenSSL looks a directory up by subject hash
 * (c_rehash links); node:tls takes certificates, so every certificate of every regular file in the
 * directory is trusted instead (the hash links, if any, name the same certificates).
 */
export function loadCaCertificates(file: string, dir: string): string[] {
  const what = "Failed to configure CA certificate(s) file/directory";
  const certs: string[] = [];
  const addPem = (text: string, name: string) => {
    const found = text.match(PEM_CERT) ?? [];
    if (found.length === 0) throw new TlsSettingsError(`${what}: ${name}: no certificate in the file`);
    for (const c of found) {
      try {
        new X509Certificate(c);
      } catch (err) {
        throw new TlsSettingsError(`${what}: ${name}: ${(err as Error).message}`);
      }
      certs.push(c);
    }
  };
  if (file !== "") addPem(read(file, what).toString("latin1"), file);
  if (dir !== "") {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      throw new TlsSettingsError(`${what}: ${dir}: ${strerror(err)}`);
    }
    for (const name of names) {
      const path = join(dir, name);
      let isFile = false;
      try {
        isFile = statSync(path).isFile();
      } catch {
        // a dangling link: OpenSSL would not find a certificate there either
      }
      if (!isFile) continue;
      const text = read(path, what).toString("latin1");
      if (text.includes("-----BEGIN CERTIFICATE-----")) addPem(text, path);
    }
  }
  return certs;
}

// ─── protocols ──────────────────────────────────────────────────────────────────────────────────────────

const PROTOCOLS: readonly { name: string; version: SecureVersion; noFlag: number }[] = [
  { name: "tlsv1", version: "TLSv1", noFlag: constants.SSL_OP_NO_TLSv1 },
  { name: "tlsv1.1", version: "TLSv1.1", noFlag: constants.SSL_OP_NO_TLSv1_1 },
  { name: "tlsv1.2", version: "TLSv1.2", noFlag: constants.SSL_OP_NO_TLSv1_2 },
  { name: "tlsv1.3", version: "TLSv1.3", noFlag: constants.SSL_OP_NO_TLSv1_3 },
];

export interface ProtocolOptions {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** SSL_OP_NO_TLSv1_x for versions inside the range that were not asked for ("TLSv1.1 TLSv1.3"). */
  secureOptions: number;
}

/**
 * `tls-protocols`: space-separated TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 in any case, "" for Redis's default
 * (TLSv1.2 and TLSv1.3). node:tls takes a version range, so the range spans what was asked for and the
 * versions skipped inside it are switched off, which allows exactly Redis's set.
 */
export function protocolOptions(value: string): ProtocolOptions {
  const wanted = new Set<number>();
  if (value === "") {
    wanted.add(2);
    wanted.add(3);
  } else {
    for (const token of value.split(" ")) {
      const i = PROTOCOLS.findIndex((p) => p.name === token.toLowerCase());
      if (i < 0)
        throw new TlsSettingsError(
          "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
        );
      wanted.add(i);
    }
  }
  const lo = Math.min(...wanted);
  const hi = Math.max(...wanted);
  let secureOptions = 0;
  for (let i = lo; i <= hi; i++) if (!wanted.has(i)) secureOptions |= PROTOCOLS[i].noFlag;
  return { minVersion: PROTOCOLS[lo].version, maxVersion: PROTOCOLS[hi].version, secureOptions };
}

// ─── ciphers ────────────────────────────────────────────────────────────────────────────────────────────

const DEFAULT_TLS12 = DEFAULT_CIPHERS.split(":")
  .filter((c) => !c.startsWith("TLS_"))
  .join(":");
const DEFAULT_TLS13 = DEFAULT_CIPHERS.split(":")
  .filter((c) => c.startsWith("TLS_"))
  .join(":");

/**
 * node:tls's one `ciphers` string for Redis's two settings: `tls-ciphers` (OpenSSL's cipher list, TLSv1.2
 * and below) and `tls-ciphersuites` (TLSv1.3 suites, the names starting with TLS_). Node sends the TLS_
 * names to SSL_CTX_set_ciphersuites and the rest to SSL_CTX_set_cipher_list, so each empty setting is
 * replaced by Node's default for its half (an empty half would switch that protocol's suites off).
 */
export function cipherString(ciphers: string, ciphersuites: string): string {
  const tls12 = ciphers === "" ? DEFAULT_TLS12 : ciphers;
  const tls13 = ciphersuites === "" ? DEFAULT_TLS13 : ciphersuites;
  if (ciphers !== "") check(`${DEFAULT_TLS13}:${ciphers}`, `Failed to configure ciphers: ${ciphers}`);
  if (ciphersuites !== "") {
    const message = `Failed to configure ciphersuites: ${ciphersuites}`;
    if (ciphersuites.split(":").some((s) => s !== "" && !s.startsWith("TLS_")))
      throw new TlsSettingsError(message);
    check(`${ciphersuites}:${DEFAULT_TLS12}`, message);
  }
  return `${tls13}:${tls12}`;
}

function check(ciphers: string, message: string): void {
  try {
    createSecureContext({ ciphers });
  } catch {
    throw new TlsSettingsError(message);
  }
}
