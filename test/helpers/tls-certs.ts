import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { which } from "./processes.js";

/**
 * Certificates for TLS tests, made with the openssl command line in a temp dir: a CA, a server certificate
 * for 127.0.0.1/localhost, a client certificate, a second server certificate (for reload tests), an
 * encrypted copy of the server key, and a certificate from another CA that nobody trusts.
 */

export const OPENSSL = which("openssl");
/** For `{ skip: NO_OPENSSL }`. */
export const NO_OPENSSL: string | false = OPENSSL
  ? false
  : "the openssl command is not installed (apt-get install openssl): the tests make their certificates with it";

export interface TestCertificates {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** The same server key, encrypted with `keyPass` (AES-256). */
  serverKeyEncrypted: string;
  keyPass: string;
  /** Another certificate for the same names, signed by the same CA (CN "tandem-test-server-2"). */
  server2Cert: string;
  server2Key: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA nobody is told to trust. */
  strangerCert: string;
  strangerKey: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync(OPENSSL ?? "openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stderr}`);
}

function signed(dir: string, name: string, cn: string, ca: string, ext: string | null): void {
  openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  const args = ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`];
  args.push("-CAcreateserial", "-out", `${name}.crt`, "-days", "2");
  if (ext !== null) args.push("-extfile", ext);
  openssl(dir, args);
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "tandem-tls-test-"));
  const selfSigned = (name: string, cn: string) =>
    openssl(dir, [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
    ]);
  selfSigned("ca", "tandem-test-ca");
  selfSigned("stranger-ca", "tandem-test-stranger-ca");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  signed(dir, "server", "tandem-test-server", "ca", "server.ext");
  signed(dir, "server2", "tandem-test-server-2", "ca", "server.ext");
  signed(dir, "client", "tandem-test-client", "ca", null);
  signed(dir, "stranger", "tandem-test-stranger", "stranger-ca", null);
  const keyPass = "s3cret-pass";
  openssl(dir, [
    "pkey",
    "-in",
    "server.key",
    "-out",
    "server-enc.key",
    "-aes256",
    "-passout",
    `pass:${keyPass}`,
  ]);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    serverKeyEncrypted: p("server-enc.key"),
    keyPass,
    server2Cert: p("server2.crt"),
    server2Key: p("server2.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    strangerCert: p("stranger.crt"),
    strangerKey: p("stranger.key"),
  };
}

/** A DH parameters file of `bits` bits (DSA-style generation: quick), for tls-dh-params-file. */
export function makeDhParams(c: TestCertificates, bits: number): string {
  const file = join(c.dir, `dh${bits}.pem`);
  openssl(c.dir, ["dhparam", "-dsaparam", "-out", file, String(bits)]);
  return file;
}

/** tls-* directives for a server with these certificates (client certificates checked against the CA). */
export function serverTlsArgs(c: TestCertificates, tlsPort: number): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    c.serverCert,
    "--tls-key-file",
    c.serverKey,
    "--tls-ca-cert-file",
    c.caCert,
  ];
}
