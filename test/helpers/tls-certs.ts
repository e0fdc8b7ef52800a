import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { which } from "./processes.js";

/**
 * Certificates for TLS tests, made with `openssl` in a temp dir: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate, both signed by the CA, and a second, unrelated CA with a
 * client certificate of its own (one the servers must refuse). EC keys, so it takes milliseconds.
 */

export const OPENSSL = which("openssl");
/** For `{ skip: NO_OPENSSL }`. */
export const NO_OPENSSL: string | false = OPENSSL
  ? false
  : "openssl is not installed (apt-get install openssl)";

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by another CA: not trusted by the servers. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL ?? "openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function caOf(dir: string, name: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-new",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  ]);
}

function signed(dir: string, ca: string, name: string, ext: string): void {
  openssl(dir, [
    "req",
    "-new",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "tandem-tls-"));
  caOf(dir, "ca");
  signed(
    dir,
    "ca",
    "server",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n",
  );
  signed(dir, "ca", "client", "extendedKeyUsage=clientAuth\n");
  caOf(dir, "otherca");
  signed(dir, "otherca", "stranger", "extendedKeyUsage=clientAuth\n");
  const f = (n: string) => join(dir, n);
  return {
    dir,
    ca: f("ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
    strangerCert: f("stranger.crt"),
    strangerKey: f("stranger.key"),
  };
}
