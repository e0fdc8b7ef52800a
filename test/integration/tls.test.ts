import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { freePort } from "../helpers/free-port.js";
import {
  NO_REDIS,
  REDIS_CLI,
  type ServerProcess,
  startRedis,
  startTandem,
  TANDEM_BIN,
} from "../helpers/processes.js";
import { startProxy } from "../helpers/proxy-deployment.js";
import { infoField, waitLinkUp, waitOffsetsEqual } from "../helpers/replication-helpers.js";
import { makeTestCerts, NO_OPENSSL, type TestCerts } from "../helpers/tls-certs.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * TLS with node:tls, against Debian's redis-server and redis-cli: a server's tls-port with client
 * certificates (tls-auth-clients yes / optional / no), redis-cli --tls and `tandem cli --tls` talking to
 * it, and replication over TLS (tls-replication) with masterauth, in both directions between Tandem and
 * redis-server. Certificates are made by openssl for the test.
 */

const skip = NO_OPENSSL || NO_REDIS;
const started: ServerProcess[] = [];
let certs: TestCerts;

after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

function tlsArgs(tlsPort: number): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    certs.serverCert,
    "--tls-key-file",
    certs.serverKey,
    "--tls-ca-cert-file",
    certs.ca,
  ];
}

async function startTls(kind: "tandem" | "redis", extra: string[] = []): Promise<[ServerProcess, number]> {
  const tlsPort = await freePort();
  const s = await (kind === "tandem" ? startTandem : startRedis)({
    args: [...tlsArgs(tlsPort), "--repl-diskless-sync-delay", "0", ...extra],
  });
  started.push(s);
  return [s, tlsPort];
}

/** redis-cli over TLS: its stdout trimmed, or "<failed>" when it could not talk to the server. */
function redisCli(port: number, clientCert: "client" | "stranger" | null, ...cmd: string[]): string {
  const cert =
    clientCert === null
      ? []
      : [
          "--cert",
          clientCert === "client" ? certs.clientCert : certs.strangerCert,
          "--key",
          clientCert === "client" ? certs.clientKey : certs.strangerKey,
        ];
  const r = spawnSync(
    REDIS_CLI ?? "redis-cli",
    ["-p", String(port), "--tls", "--cacert", certs.ca, ...cert, ...cmd],
    {
      encoding: "utf8",
      timeout: 10_000,
    },
  );
  const out = r.stdout.trim();
  return r.status === 0 && out !== "" && !/error|closed|reset/i.test(out) ? out : "<failed>";
}

function tandemCli(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TANDEM_BIN, "cli", ...args], { encoding: "utf8", timeout: 10_000 });
  return { status: r.status, out: (r.stdout + r.stderr).trim() };
}

describe("TLS", { skip }, () => {
  before(() => {
    certs = makeTestCerts();
  });

  it("tls-port and tls-auth-clients answer redis-cli --tls as redis-server does", async () => {
    const [t, tPort] = await startTls("tandem");
    const [r, rPort] = await startTls("redis");
    const outcome = (cert: "client" | "stranger" | null) => [
      redisCli(tPort, cert, "PING"),
      redisCli(rPort, cert, "PING"),
    ];
    assert.deepEqual(outcome("client"), ["PONG", "PONG"]);
    assert.deepEqual(outcome(null), ["<failed>", "<failed>"]);
    assert.deepEqual(outcome("stranger"), ["<failed>", "<failed>"]);
    for (const s of [t, r]) {
      const c = await s.client();
      assert.equal(await c.text("CONFIG", "SET", "tls-auth-clients", "optional"), "+OK\r\n");
      c.close();
    }
    assert.deepEqual(outcome(null), ["PONG", "PONG"]);
    assert.deepEqual(outcome("stranger"), ["<failed>", "<failed>"]);
    for (const s of [t, r]) {
      const c = await s.client();
      assert.equal(await c.text("CONFIG", "SET", "tls-auth-clients", "no"), "+OK\r\n");
      c.close();
    }
    assert.deepEqual(outcome(null), ["PONG", "PONG"]);
    // The TLS connection is a client like any other.
    assert.equal(redisCli(tPort, "client", "SET", "over", "tls"), "OK");
    const plain = await t.client();
    assert.equal(await plain.text("GET", "over"), "$3\r\ntls\r\n");
    plain.close();
  });

  it("tandem cli --tls checks the server's certificate unless --insecure, and sends a client certificate", async () => {
    const [, port] = await startTls("tandem", ["--requirepass", "pw"]);
    const base = ["-p", String(port), "--tls", "--no-auth-warning", "-a", "pw"];
    const withCa = tandemCli([
      ...base,
      "--cacert",
      certs.ca,
      "--cert",
      certs.clientCert,
      "--key",
      certs.clientKey,
      "PING",
    ]);
    assert.deepEqual(withCa, { status: 0, out: "PONG" });
    const noCa = tandemCli([...base, "--cert", certs.clientCert, "--key", certs.clientKey, "PING"]);
    assert.notEqual(noCa.out, "PONG");
    const insecure = tandemCli([
      ...base,
      "--insecure",
      "--cert",
      certs.clientCert,
      "--key",
      certs.clientKey,
      "PING",
    ]);
    assert.deepEqual(insecure, { status: 0, out: "PONG" });
    const noCert = tandemCli([...base, "--cacert", certs.ca, "PING"]);
    assert.notEqual(noCert.out, "PONG");
  });

  it("port 0 with a tls-port listens on TLS only", async () => {
    const tlsPort = await freePort();
    const s = await startTandem({
      args: [...tlsArgs(tlsPort), "--port", "0", "--tls-auth-clients", "no"],
      waitReady: false,
    });
    started.push(s);
    await waitFor("the TLS port to answer PING", async () => redisCli(tlsPort, null, "PING") === "PONG");
    assert.doesNotMatch(s.output(), /Could not create/);
  });

  for (const [masterKind, replicaKind] of [
    ["tandem", "tandem"],
    ["redis", "tandem"],
    ["tandem", "redis"],
  ] as const) {
    it(`replication over TLS with masterauth: ${masterKind} master, ${replicaKind} replica`, async () => {
      const [master, masterTlsPort] = await startTls(masterKind, ["--requirepass", "mpw"]);
      const [replica] = await startTls(replicaKind, [
        "--tls-replication",
        "yes",
        "--masterauth",
        "mpw",
        "--replicaof",
        "127.0.0.1",
        String(masterTlsPort),
      ]);
      const m = await master.client();
      assert.equal(await m.text("AUTH", "mpw"), "+OK\r\n");
      const r = await replica.client();
      await waitLinkUp(r);
      assert.equal(await m.text("SET", "secure", "yes"), "+OK\r\n");
      await waitOffsetsEqual(m, [r]);
      assert.equal(await r.text("GET", "secure"), "$3\r\nyes\r\n");
      assert.equal(await infoField(m, "replication", "connected_slaves"), "1");
      m.close();
      r.close();
    });
  }

  it("a Tandem replica refuses a master whose certificate its CAs do not vouch for", async () => {
    const [master, masterTlsPort] = await startTls("tandem", ["--tls-auth-clients", "no"]);
    const [replica] = await startTls("tandem", [
      "--tls-replication",
      "yes",
      "--tls-ca-cert-file",
      certs.strangerCert, // not the CA that signed the master's certificate
      "--replicaof",
      "127.0.0.1",
      String(masterTlsPort),
    ]);
    const r = await replica.client();
    await waitFor("the replica to log the failed TLS handshake", async () =>
      /Error condition on socket for SYNC/.test(replica.output()),
    );
    assert.equal(await infoField(r, "replication", "master_link_status"), "down");
    r.close();
    assert.ok(master.port > 0);
  });

  it("the proxy's TLS listener: redis-cli --tls through the proxy to its backend", async () => {
    const backend = await startTandem({ args: ["--requirepass", "bpw"] });
    started.push(backend);
    const tlsPort = await freePort();
    const proxy = await startProxy(
      [
        `master: 127.0.0.1:${backend.port}`,
        "backend_password: bpw",
        "tls:",
        `  listen: 127.0.0.1:${tlsPort}`,
        `  cert_file: ${certs.serverCert}`,
        `  key_file: ${certs.serverKey}`,
        `  ca_cert_file: ${certs.ca}`,
        "",
      ].join("\n"),
    );
    try {
      assert.equal(redisCli(tlsPort, "client", "SET", "via", "proxy-tls"), "OK");
      assert.equal(redisCli(tlsPort, "client", "GET", "via"), "proxy-tls");
      assert.equal(redisCli(tlsPort, null, "PING"), "<failed>");
      assert.equal(redisCli(tlsPort, "stranger", "PING"), "<failed>");
      const viaCli = tandemCli([
        "-p",
        String(tlsPort),
        "--tls",
        "--cacert",
        certs.ca,
        "--cert",
        certs.clientCert,
        "--key",
        certs.clientKey,
        "GET",
        "via",
      ]);
      assert.deepEqual(viaCli, { status: 0, out: "proxy-tls" });
      const plain = await proxy.client();
      assert.equal(await plain.text("GET", "via"), "$9\r\nproxy-tls\r\n");
      plain.close();
    } finally {
      await proxy.stop();
    }
  });

  it("a raw TLS client sees the server's certificate", async () => {
    const [, port] = await startTls("tandem", ["--tls-auth-clients", "no"]);
    const cert = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect(
        { port, host: "127.0.0.1", ca: readFileSync(certs.ca), checkServerIdentity: () => undefined },
        () => {
          const subject = s.getPeerCertificate().subject?.CN ?? "";
          s.end();
          resolve(String(subject));
        },
      );
      s.on("error", reject);
    });
    assert.equal(cert, "server");
  });
});
