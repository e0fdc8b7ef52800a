import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { freePort } from "../helpers/free-port.js";
import { infoField } from "../helpers/info.js";
import {
  NO_REDIS,
  REDIS_CLI,
  REDIS_SERVER,
  type ServerProcess,
  type StartOptions,
  startRedis,
  startTandem,
  TANDEM_BIN,
  trackChild,
} from "../helpers/processes.js";
import { type ProxyProcess, startProxy } from "../helpers/proxy-deployment.js";
import { RawClient } from "../helpers/raw-client.js";
import { waitLinkUp } from "../helpers/replication-helpers.js";
import { NO_SENTINEL, REDIS_SENTINEL } from "../helpers/sentinel.js";
import {
  makeCertificates,
  makeDhParams,
  NO_OPENSSL,
  serverTlsArgs,
  type TestCertificates,
} from "../helpers/tls-certs.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * TLS end to end, on real processes with certificates made by openssl for the run: `tandem server`'s
 * tls-port (Debian's redis-cli --tls talks to it; client certificates required, optional or not asked for;
 * tls-protocols, ciphersuites, an encrypted key, the session cache; CONFIG SET reloading certificates),
 * replication over TLS between Tandem and redis-server in both directions, the proxy's TLS listener and
 * its TLS links to TLS-only backends, and `tandem cli --tls` printing what redis-cli prints.
 *
 * Where redis-server can run the same scenario (it is built with TLS on Debian), it does, and the two
 * must agree.
 */

const NO_TLS_TOOLS: string | false = NO_OPENSSL || NO_REDIS;

/** Debian's redis-server is built with TLS; another build may not be (then it rejects tls-port). */
function redisTlsSupport(): string | false {
  if (NO_TLS_TOOLS || REDIS_SERVER === null) return NO_TLS_TOOLS || "redis-server is not installed";
  // With TLS support, nothing to listen on ends start-up with "not listen anywhere"; without it, tls-port
  // is an unknown directive.
  const r = spawnSync(REDIS_SERVER, ["--port", "0", "--tls-port", "0", "--save", ""], {
    encoding: "utf8",
    timeout: 10_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  return /Bad directive|tls-port/i.test(out) && !/not listen anywhere/.test(out)
    ? "this redis-server is built without TLS support (redis-server --tls-port is refused)"
    : false;
}
const NO_REDIS_TLS = redisTlsSupport();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string[], args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0], [...cmd.slice(1), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("latin1"),
        stderr: Buffer.concat(err).toString("latin1"),
      });
    });
  });
}

const TANDEM_CLI = [process.execPath, TANDEM_BIN, "cli"];
const TANDEM_SERVER = [process.execPath, TANDEM_BIN, "server"];

let certs: TestCertificates;

/** redis-cli's TLS flags with the test CA, and the client certificate unless `withCert` is false. */
function cliTls(withCert = true): string[] {
  const base = ["--tls", "--cacert", certs.caCert];
  return withCert ? [...base, "--cert", certs.clientCert, "--key", certs.clientKey] : base;
}

/** node:tls options for a test client: the CA, and the client certificate unless told otherwise. */
function clientTls(extra: ConnectionOptions = {}, withCert = true): ConnectionOptions {
  return {
    ca: readFileSync(certs.caCert),
    ...(withCert ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
    ...extra,
  };
}

interface TlsServer {
  server: ServerProcess;
  tlsPort: number;
  /** A client over TLS (with the client certificate). */
  tls(extra?: ConnectionOptions): Promise<RawClient>;
  stop(): Promise<void>;
}

async function startTls(
  kind: "tandem" | "redis",
  args: string[] = [],
  opts: StartOptions = {},
): Promise<TlsServer> {
  const tlsPort = await freePort();
  const start = kind === "tandem" ? startTandem : startRedis;
  const server = await start({ ...opts, args: [...serverTlsArgs(certs, tlsPort), ...args] });
  return {
    server,
    tlsPort,
    tls: (extra = {}) => RawClient.connectTls(tlsPort, clientTls(extra)),
    stop: () => server.stop(),
  };
}

/** PING over a TLS connection made with `options`: "+PONG", or the failure's message. */
async function pingOver(port: number, options: ConnectionOptions): Promise<string> {
  let c: RawClient;
  try {
    c = await RawClient.connectTls(port, options);
  } catch (err) {
    return `handshake failed: ${(err as Error).message}`;
  }
  try {
    return (await c.text("PING")).trim();
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  } finally {
    c.close();
  }
}

/** The CN of the certificate a new TLS connection to `port` is shown. */
async function servedCN(port: number): Promise<string> {
  const c = await RawClient.connectTls(port, clientTls());
  try {
    return String((c.socket as TLSSocket).getPeerCertificate().subject.CN);
  } finally {
    c.close();
  }
}

describe("TLS", { skip: NO_TLS_TOOLS }, () => {
  before(() => {
    certs = makeCertificates();
  });

  it("tandem server: redis-cli --tls on tls-port next to the plain port; CLIENT LIST and INFO as usual", async () => {
    const t = await startTls("tandem");
    try {
      const p = ["-p", String(t.tlsPort)];
      assert.deepEqual(await run([REDIS_CLI!], [...p, ...cliTls(), "PING"]), {
        code: 0,
        stdout: "PONG\n",
        stderr: "",
      });
      assert.equal(
        (await run([REDIS_CLI!], [...p, ...cliTls(), "SET", "greeting", "hello tls"])).stdout,
        "OK\n",
      );
      assert.equal((await run([REDIS_CLI!], [...p, ...cliTls(), "GET", "greeting"])).stdout, "hello tls\n");
      // One dataset behind both listeners.
      const plain = await t.server.client();
      const secure = await t.tls();
      try {
        assert.equal(await plain.text("GET", "greeting"), "$9\r\nhello tls\r\n");
        const list = String(await secure.call("CLIENT", "LIST"));
        assert.match(list, new RegExp(`laddr=127\\.0\\.0\\.1:${t.tlsPort} fd=\\d+ .*cmd=client\\|list`));
        assert.match(list, new RegExp(`laddr=127\\.0\\.0\\.1:${t.server.port} `));
        // As Redis: tcp_port is the plain port while there is one.
        assert.equal(await infoField(secure, "server", "tcp_port"), String(t.server.port));
        assert.equal(await infoField(plain, "clients", "connected_clients"), "2");
      } finally {
        plain.close();
        secure.close();
      }
    } finally {
      await t.stop();
    }
  });

  it("tls-auth-clients: yes refuses no or an untrusted certificate, optional refuses only the untrusted one, no asks for none (same as redis-server)", async (ctx) => {
    const kinds: ("tandem" | "redis")[] = NO_REDIS_TLS ? ["tandem"] : ["tandem", "redis"];
    if (NO_REDIS_TLS) ctx.diagnostic(`redis-server side skipped: ${NO_REDIS_TLS}`);
    const stranger = {
      ca: readFileSync(certs.caCert),
      cert: readFileSync(certs.strangerCert),
      key: readFileSync(certs.strangerKey),
    };
    const outcomes: Record<string, string[]> = {};
    for (const kind of kinds) {
      const t = await startTls(kind);
      try {
        const seen: string[] = [];
        for (const mode of ["yes", "optional", "no"]) {
          const admin = await t.server.client();
          assert.equal(await admin.text("CONFIG", "SET", "tls-auth-clients", mode), "+OK\r\n");
          admin.close();
          const withCert = await pingOver(t.tlsPort, clientTls());
          const without = await pingOver(t.tlsPort, clientTls({}, false));
          const untrusted = await pingOver(t.tlsPort, stranger);
          const cli = await run([REDIS_CLI!], ["-p", String(t.tlsPort), ...cliTls(false), "PING"]);
          seen.push(
            `${mode}: cert ${withCert === "+PONG" ? "ok" : "refused"}, none ${without === "+PONG" ? "ok" : "refused"}, untrusted ${untrusted === "+PONG" ? "ok" : "refused"}, redis-cli without cert ${cli.stdout === "PONG\n" ? "ok" : "refused"}`,
          );
        }
        outcomes[kind] = seen;
      } finally {
        await t.stop();
      }
    }
    assert.deepEqual(outcomes.tandem, [
      "yes: cert ok, none refused, untrusted refused, redis-cli without cert refused",
      "optional: cert ok, none ok, untrusted refused, redis-cli without cert ok",
      "no: cert ok, none ok, untrusted ok, redis-cli without cert ok",
    ]);
    if (outcomes.redis) assert.deepEqual(outcomes.tandem, outcomes.redis);
  });

  it("tls-ca-cert-dir instead of a file: certificates of its CA pass, others do not (as redis-server)", async (ctx) => {
    // OpenSSL looks the directory up by subject-hash links: `openssl rehash` makes them for redis-server.
    const dir = mkdtempSync(join(tmpdir(), "tandem-tls-cadir-"));
    copyFileSync(certs.caCert, join(dir, "ca.pem"));
    const rehash = spawnSync("openssl", ["rehash", dir], { encoding: "utf8" });
    assert.equal(rehash.status, 0, rehash.stderr);
    const kinds: ("tandem" | "redis")[] = NO_REDIS_TLS ? ["tandem"] : ["tandem", "redis"];
    if (NO_REDIS_TLS) ctx.diagnostic(`redis-server side skipped: ${NO_REDIS_TLS}`);
    const stranger = {
      ca: readFileSync(certs.caCert),
      cert: readFileSync(certs.strangerCert),
      key: readFileSync(certs.strangerKey),
    };
    for (const kind of kinds) {
      const tlsPort = await freePort();
      const args = [...serverTlsArgs(certs, tlsPort).slice(0, 6), "--tls-ca-cert-dir", dir];
      const server = await (kind === "tandem" ? startTandem : startRedis)({ args });
      try {
        assert.equal(await pingOver(tlsPort, clientTls()), "+PONG", kind);
        assert.notEqual(await pingOver(tlsPort, stranger), "+PONG", kind);
      } finally {
        await server.stop();
      }
    }
  });

  it("port 0 with a tls-port listens with TLS only; INFO tcp_port is then the TLS port", async () => {
    const tlsPort = await freePort();
    const server = await startTandem({
      args: [...serverTlsArgs(certs, tlsPort), "--port", "0"],
      waitReady: false,
    });
    try {
      const c = await waitFor("the TLS-only server to answer", async () =>
        RawClient.connectTls(tlsPort, clientTls()),
      );
      try {
        assert.equal(await c.text("PING"), "+PONG\r\n");
        assert.equal(await infoField(c, "server", "tcp_port"), String(tlsPort));
        assert.equal(await c.text("CONFIG", "GET", "port"), "*2\r\n$4\r\nport\r\n$1\r\n0\r\n");
      } finally {
        c.close();
      }
    } finally {
      await server.stop();
    }
  });

  it("a TLS file that cannot be used stops start-up, naming it, as redis-server does", async (ctx) => {
    const missing = join(certs.dir, "no-such.crt");
    const cases: { args: string[]; says: string }[] = [
      {
        args: [
          "--tls-cert-file",
          missing,
          "--tls-key-file",
          certs.serverKey,
          "--tls-ca-cert-file",
          certs.caCert,
        ],
        says: `Failed to load certificate: ${missing}:`,
      },
      {
        args: [
          "--tls-cert-file",
          certs.serverCert,
          "--tls-key-file",
          certs.clientKey,
          "--tls-ca-cert-file",
          certs.caCert,
        ],
        says: `Failed to load private key: ${certs.clientKey}:`,
      },
      {
        args: ["--tls-cert-file", certs.serverCert, "--tls-key-file", certs.serverKey],
        says: "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!",
      },
      {
        args: [
          "--tls-cert-file",
          certs.serverCert,
          "--tls-key-file",
          certs.serverKeyEncrypted,
          "--tls-ca-cert-file",
          certs.caCert,
        ],
        says: `Failed to load private key: ${certs.serverKeyEncrypted}:`,
      },
      {
        args: [...serverTlsArgs(certs, 0).slice(2), "--tls-dh-params-file", missing],
        says: `Failed to load ${missing}: No such file or directory`,
      },
      {
        args: [...serverTlsArgs(certs, 0).slice(2), "--tls-dh-params-file", certs.serverCert],
        says: `${certs.serverCert}: failed to read DH params.`,
      },
      {
        args: [...serverTlsArgs(certs, 0).slice(2), "--tls-protocols", "TLSv1.2 SSLv3"],
        says: "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
      },
    ];
    for (const { args, says } of cases) {
      const port = await freePort();
      const tlsPort = await freePort();
      const common = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--tls-port",
        String(tlsPort),
        ...args,
      ];
      const ours = await run(TANDEM_SERVER, common);
      assert.equal(ours.code, 1, ours.stdout + ours.stderr);
      assert.ok(ours.stderr.includes(says), `tandem's stderr names the problem (${says}):\n${ours.stderr}`);
      assert.ok(ours.stderr.includes("Failed to configure TLS. Check logs for more info."), ours.stderr);
      if (NO_REDIS_TLS) {
        ctx.diagnostic(`redis-server side skipped: ${NO_REDIS_TLS}`);
        continue;
      }
      const theirs = await run([REDIS_SERVER!], common);
      assert.equal(theirs.code, 1, theirs.stdout);
      assert.ok(theirs.stdout.includes(says), `redis-server logs the same (${says}):\n${theirs.stdout}`);
      assert.ok(theirs.stdout.includes("Failed to configure TLS. Check logs for more info."));
    }
  });

  it("CONFIG SET of tls-cert-file/tls-key-file reloads them (even under the same name); an unusable one is refused and rolled back, replies as redis-server's", async (ctx) => {
    const kinds: ("tandem" | "redis")[] = NO_REDIS_TLS ? ["tandem"] : ["tandem", "redis"];
    if (NO_REDIS_TLS) ctx.diagnostic(`redis-server side skipped: ${NO_REDIS_TLS}`);
    const replies: Record<string, string[]> = {};
    for (const kind of kinds) {
      const dir = mkdtempSync(join(tmpdir(), "tandem-tls-reload-"));
      const cert = join(dir, "current.crt");
      const key = join(dir, "current.key");
      copyFileSync(certs.serverCert, cert);
      copyFileSync(certs.serverKey, key);
      const t = await startTls(kind, ["--tls-cert-file", cert, "--tls-key-file", key]);
      const admin = await t.server.client();
      const kept = await t.tls();
      try {
        assert.equal(await servedCN(t.tlsPort), "tandem-test-server");
        const got: string[] = [];
        // Another file.
        got.push(
          await admin.text(
            "CONFIG",
            "SET",
            "tls-cert-file",
            certs.server2Cert,
            "tls-key-file",
            certs.server2Key,
          ),
        );
        assert.equal(await servedCN(t.tlsPort), "tandem-test-server-2", kind);
        // The same names, new contents (a renewed certificate): reread because the names are volatile.
        got.push(await admin.text("CONFIG", "SET", "tls-cert-file", cert, "tls-key-file", key));
        assert.equal(await servedCN(t.tlsPort), "tandem-test-server", kind);
        copyFileSync(certs.server2Cert, cert);
        copyFileSync(certs.server2Key, key);
        got.push(await admin.text("CONFIG", "SET", "tls-cert-file", cert, "tls-key-file", key));
        assert.equal(await servedCN(t.tlsPort), "tandem-test-server-2", kind);
        // Unusable: refused, the old values stay and keep being served.
        got.push(await admin.text("CONFIG", "SET", "tls-cert-file", join(dir, "missing.crt")));
        got.push(await admin.text("CONFIG", "SET", "tls-key-file", certs.clientKey));
        got.push(await admin.text("CONFIG", "SET", "tls-protocols", "TLSv1.2 SSLv3"));
        got.push(await admin.text("CONFIG", "GET", "tls-cert-file"));
        got.push(await admin.text("CONFIG", "GET", "tls-protocols"));
        assert.equal(await servedCN(t.tlsPort), "tandem-test-server-2", kind);
        // A connection made before the reloads still works.
        assert.equal(await kept.text("PING"), "+PONG\r\n");
        const failed = (arg: string) =>
          `-ERR CONFIG SET failed (possibly related to argument '${arg}') - Unable to update TLS configuration. Check server logs.\r\n`;
        assert.deepEqual(got, [
          "+OK\r\n",
          "+OK\r\n",
          "+OK\r\n",
          failed("tls-cert-file"),
          failed("tls-key-file"),
          failed("tls-protocols"),
          `*2\r\n$13\r\ntls-cert-file\r\n$${cert.length}\r\n${cert}\r\n`,
          "*2\r\n$13\r\ntls-protocols\r\n$0\r\n\r\n",
        ]);
        replies[kind] = got.map((r) => r.replaceAll(dir, "<dir>"));
      } finally {
        admin.close();
        kept.close();
        await t.stop();
      }
    }
    if (replies.redis) assert.deepEqual(replies.tandem, replies.redis);
  });

  it("tls-protocols, tls-ciphers/-ciphersuites, tls-prefer-server-ciphers, tls-dh-params-file, an encrypted key with tls-key-file-pass, the session cache", async () => {
    const { constants } = await import("node:crypto");
    const t = await startTls("tandem", [
      "--tls-key-file",
      certs.serverKeyEncrypted,
      "--tls-key-file-pass",
      certs.keyPass,
      "--tls-protocols",
      "TLSv1.2",
    ]);
    const admin = await t.server.client();
    try {
      const c = await t.tls();
      assert.equal((c.socket as TLSSocket).getProtocol(), "TLSv1.2");
      c.close();
      assert.match(await pingOver(t.tlsPort, clientTls({ minVersion: "TLSv1.3" })), /^handshake failed/);

      assert.equal(
        await admin.text(
          "CONFIG",
          "SET",
          "tls-protocols",
          "TLSv1.3",
          "tls-ciphersuites",
          "TLS_CHACHA20_POLY1305_SHA256",
        ),
        "+OK\r\n",
      );
      const c13 = await t.tls();
      assert.equal((c13.socket as TLSSocket).getProtocol(), "TLSv1.3");
      assert.equal((c13.socket as TLSSocket).getCipher().name, "TLS_CHACHA20_POLY1305_SHA256");
      c13.close();
      assert.match(await pingOver(t.tlsPort, clientTls({ maxVersion: "TLSv1.2" })), /^handshake failed/);

      // Session-ID resumption (TLSv1.2 without tickets): resumed while tls-session-caching is on.
      assert.equal(
        await admin.text("CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-ciphersuites", ""),
        "+OK\r\n",
      );
      const noTickets = { secureOptions: constants.SSL_OP_NO_TICKET, maxVersion: "TLSv1.2" as const };
      const resumed = async (): Promise<boolean> => {
        const first = await t.tls(noTickets);
        await first.text("PING");
        const session = (first.socket as TLSSocket).getSession();
        first.close();
        const again = await t.tls({ ...noTickets, session });
        try {
          await again.text("PING");
          return (again.socket as TLSSocket).isSessionReused();
        } finally {
          again.close();
        }
      };
      assert.equal(await resumed(), true);
      assert.equal(await admin.text("CONFIG", "SET", "tls-session-caching", "no"), "+OK\r\n");
      assert.equal(await resumed(), false);
      assert.equal(
        await admin.text("CONFIG", "SET", "tls-session-caching", "yes", "tls-session-cache-size", "1"),
        "+OK\r\n",
      );
      assert.equal(await resumed(), true);

      // tls-ciphers, and whose order wins: the client's, or the server's with tls-prefer-server-ciphers.
      assert.equal(
        await admin.text(
          "CONFIG",
          "SET",
          "tls-ciphers",
          "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        ),
        "+OK\r\n",
      );
      const negotiated = async (): Promise<string> => {
        const x = await t.tls({
          maxVersion: "TLSv1.2",
          ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        });
        const name = (x.socket as TLSSocket).getCipher().name;
        x.close();
        return name;
      };
      assert.equal(await negotiated(), "ECDHE-RSA-AES128-GCM-SHA256");
      assert.equal(await admin.text("CONFIG", "SET", "tls-prefer-server-ciphers", "yes"), "+OK\r\n");
      assert.equal(await negotiated(), "ECDHE-RSA-AES256-GCM-SHA384");
      assert.match(
        await pingOver(t.tlsPort, clientTls({ maxVersion: "TLSv1.2", ciphers: "DHE-RSA-AES128-GCM-SHA256" })),
        /^handshake failed/,
        "a cipher left out of tls-ciphers is refused",
      );
      assert.equal(
        await admin.text("CONFIG", "SET", "tls-ciphers", "", "tls-prefer-server-ciphers", "no"),
        "+OK\r\n",
      );

      // DHE: OpenSSL's automatic parameters (matching the 2048-bit key) until a tls-dh-params-file is set.
      const dhe = { maxVersion: "TLSv1.2" as const, ciphers: "DHE-RSA-AES128-GCM-SHA256" };
      const dhBits = async (): Promise<number | undefined> => {
        const d = await t.tls(dhe);
        try {
          assert.equal((d.socket as TLSSocket).getCipher().name, "DHE-RSA-AES128-GCM-SHA256");
          const info = (d.socket as TLSSocket).getEphemeralKeyInfo() as {
            type?: string;
            size?: number;
          } | null;
          assert.equal(info?.type, "DH");
          return info?.size;
        } finally {
          d.close();
        }
      };
      assert.equal(await dhBits(), 2048);
      const dh = makeDhParams(certs, 1024);
      assert.equal(await admin.text("CONFIG", "SET", "tls-dh-params-file", dh), "+OK\r\n");
      assert.equal(await dhBits(), 1024);
    } finally {
      admin.close();
      await t.stop();
    }
  });

  describe("replication over TLS (tls-replication yes)", () => {
    const fast = ["--repl-diskless-sync-delay", "0"];

    async function checkReplicates(master: TlsServer, replica: TlsServer, replicaKind: "tandem" | "redis") {
      const m = await master.server.client();
      const r = await replica.server.client();
      try {
        await waitLinkUp(r);
        assert.equal(await infoField(r, "replication", "master_link_status"), "up");
        assert.equal(await infoField(r, "replication", "master_port"), String(master.tlsPort));
        await m.call("SET", "after-sync", "streamed over TLS");
        await m.call("RPUSH", "list", "a", "b", "c");
        await waitFor(
          "the writes to reach the replica",
          async () =>
            (await r.text("LRANGE", "list", "0", "-1")) === "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
        );
        assert.equal(await r.text("GET", "before-sync"), "$15\r\nloaded over TLS\r\n");
        assert.equal(await r.text("GET", "after-sync"), "$17\r\nstreamed over TLS\r\n");
        // The replica announces its TLS port, as Redis's replica does with tls-replication.
        const slave0 = await waitFor("the master to list the replica online", async () => {
          const v = await infoField(m, "replication", "slave0");
          return v?.includes("state=online") ? v : null;
        });
        assert.match(
          slave0,
          new RegExp(`port=${replica.tlsPort},`),
          `${replicaKind} replica announced: ${slave0}`,
        );
        // The master sees the link on its TLS port.
        assert.match(
          String(await m.call("CLIENT", "LIST")),
          new RegExp(`laddr=127\\.0\\.0\\.1:${master.tlsPort} fd=\\d+ [^\\n]*flags=S`),
        );
      } finally {
        m.close();
        r.close();
      }
    }

    async function pair(masterKind: "tandem" | "redis", replicaKind: "tandem" | "redis") {
      const master = await startTls(masterKind, fast);
      let replica: TlsServer | null = null;
      try {
        const m = await master.server.client();
        await m.call("SET", "before-sync", "loaded over TLS");
        m.close();
        replica = await startTls(replicaKind, [
          ...fast,
          "--tls-replication",
          "yes",
          "--replicaof",
          "127.0.0.1",
          String(master.tlsPort),
        ]);
        await checkReplicates(master, replica, replicaKind);
      } finally {
        await replica?.stop();
        await master.stop();
      }
    }

    it("a Tandem replica from a Tandem master (client certificates required on both)", async () => {
      await pair("tandem", "tandem");
    });

    it("a Tandem replica from redis-server", { skip: NO_REDIS_TLS }, async () => {
      await pair("redis", "tandem");
    });

    it("a redis-server replica from a Tandem master", { skip: NO_REDIS_TLS }, async () => {
      await pair("tandem", "redis");
    });

    it("without tls-replication the replica's plain connection to a TLS port never comes up", async () => {
      const master = await startTls("tandem", ["--port", "0"], { waitReady: false });
      const replica = await startTandem({ args: ["--replicaof", "127.0.0.1", String(master.tlsPort)] });
      try {
        const c = await waitFor("the TLS-only master", () =>
          RawClient.connectTls(master.tlsPort, clientTls()),
        );
        c.close();
        const r = await replica.client();
        // It keeps retrying (each attempt is logged); the link never comes up.
        await waitFor(
          "several attempts",
          () => (replica.output().match(/Connecting to MASTER/g) ?? []).length >= 3,
        );
        assert.equal(await infoField(r, "replication", "master_link_status"), "down");
        r.close();
      } finally {
        await replica.stop();
        await master.stop();
      }
    });

    it("tls-client-cert-file/-key-file are the replica's certificate towards its master; CONFIG SET swaps them for the next attempt", async () => {
      const master = await startTls("tandem", fast);
      const replica = await startTls("tandem", [
        ...fast,
        "--tls-replication",
        "yes",
        "--tls-client-cert-file",
        certs.strangerCert,
        "--tls-client-key-file",
        certs.strangerKey,
        "--replicaof",
        "127.0.0.1",
        String(master.tlsPort),
      ]);
      const r = await replica.server.client();
      try {
        // The master does not trust the stranger's CA: every attempt is refused.
        const attempts = () => (replica.server.output().match(/Connecting to MASTER/g) ?? []).length;
        await waitFor("several refused attempts", () => attempts() >= 3);
        assert.equal(await infoField(r, "replication", "master_link_status"), "down");
        assert.equal(
          await r.text(
            "CONFIG",
            "SET",
            "tls-client-cert-file",
            certs.clientCert,
            "tls-client-key-file",
            certs.clientKey,
          ),
          "+OK\r\n",
        );
        await waitLinkUp(r);
      } finally {
        r.close();
        await replica.stop();
        await master.stop();
      }
    });
  });

  describe("the proxy over TLS", () => {
    for (const kind of ["tandem", "redis"] as const) {
      it(`a TLS listener for clients, TLS links to TLS-only ${kind} backends (data, dedicated, health polls)`, {
        skip: kind === "redis" ? NO_REDIS_TLS : false,
      }, async () => {
        // Backends listen with TLS only and require client certificates: every proxy link must use TLS.
        const fast = ["--repl-diskless-sync-delay", "0", "--port", "0"];
        const master = await startTls(kind, fast, { waitReady: false });
        let replica: TlsServer | null = null;
        let proxy: ProxyProcess | null = null;
        try {
          await waitFor("the master", () => master.tls().then((c) => c.close() ?? true));
          replica = await startTls(
            kind,
            [...fast, "--tls-replication", "yes", "--replicaof", "127.0.0.1", String(master.tlsPort)],
            { waitReady: false },
          );
          const r = await waitFor("the replica", () => replica!.tls());
          await waitLinkUp(r, 20_000);
          const tlsListen = await freePort();
          proxy = await startProxy(
            [
              `master: 127.0.0.1:${master.tlsPort}`,
              "replicas:",
              `  - 127.0.0.1:${replica.tlsPort}`,
              "log_level: warn",
              "consistency: eventual",
              "backend_tls:",
              `  ca_file: ${certs.caCert}`,
              `  cert_file: ${certs.clientCert}`,
              `  key_file: ${certs.clientKey}`,
              "  verify: full",
              "tls:",
              `  listen: 127.0.0.1:${tlsListen}`,
              `  cert_file: ${certs.serverCert}`,
              `  key_file: ${certs.serverKey}`,
              `  ca_file: ${certs.caCert}`,
              "  auth_clients: yes",
            ].join("\n"),
          );
          const p = ["-p", String(tlsListen)];
          assert.deepEqual(await run([REDIS_CLI!], [...p, ...cliTls(), "PING"]), {
            code: 0,
            stdout: "PONG\n",
            stderr: "",
          });
          assert.equal(
            (await run([REDIS_CLI!], [...p, ...cliTls(), "SET", "via", "proxy over tls"])).stdout,
            "OK\n",
          );
          // Reads go to the replica once the health polls (over TLS) find it in sync.
          const getsBefore = Number(
            /calls=(\d+)/.exec((await infoField(r, "commandstats", "cmdstat_get")) ?? "")?.[1] ?? 0,
          );
          await waitFor("a read served by the replica", async () => {
            const out = await run([REDIS_CLI!], [...p, ...cliTls(), "GET", "via"]);
            assert.equal(out.stdout, "proxy over tls\n");
            const gets = Number(
              /calls=(\d+)/.exec((await infoField(r, "commandstats", "cmdstat_get")) ?? "")?.[1] ?? 0,
            );
            return gets > getsBefore;
          });
          // A transaction and a blocking command use dedicated backend connections.
          const c = await RawClient.connectTls(tlsListen, clientTls());
          try {
            assert.deepEqual(
              (await c.pipeline([["MULTI"], ["INCR", "n"], ["INCR", "n"], ["EXEC"]])).map((b) =>
                b.toString(),
              ),
              ["+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n:1\r\n:2\r\n"],
            );
            assert.equal(await c.text("BLPOP", "nothing", "0.05"), "*-1\r\n");
          } finally {
            c.close();
          }
          // The plain listener is still there, in front of the same TLS backends.
          const plain = await proxy.client();
          assert.equal(await plain.text("GET", "n"), "$1\r\n2\r\n");
          plain.close();
          // No client certificate: refused by the proxy's listener.
          const refused = await run([REDIS_CLI!], [...p, ...cliTls(false), "PING"]);
          assert.notEqual(refused.stdout, "PONG\n");
          assert.equal(refused.code, 1);
          r.close();
        } finally {
          await proxy?.stop();
          await replica?.stop();
          await master.stop();
        }
      });
    }

    it("sentinel.tls: the proxy finds the master and its replica through a TLS-only Sentinel", {
      skip: NO_REDIS_TLS || NO_SENTINEL,
    }, async () => {
      const fast = ["--repl-diskless-sync-delay", "0", "--port", "0"];
      const master = await startTls("tandem", fast, { waitReady: false });
      let replica: TlsServer | null = null;
      let sentinel: ChildProcess | null = null;
      let proxy: ProxyProcess | null = null;
      try {
        await waitFor("the master", () => master.tls().then((c) => c.close() ?? true));
        replica = await startTls(
          "tandem",
          [...fast, "--tls-replication", "yes", "--replicaof", "127.0.0.1", String(master.tlsPort)],
          { waitReady: false },
        );
        const r = await waitFor("the replica", () => replica!.tls());
        await waitLinkUp(r, 20_000);
        r.close();
        // One sentinel, listening with TLS only and talking TLS to the nodes (tls-replication).
        const dir = mkdtempSync(join(tmpdir(), "tandem-tls-sentinel-"));
        const sentinelPort = await freePort();
        const conf = join(dir, "sentinel.conf");
        writeFileSync(
          conf,
          [
            "port 0",
            `tls-port ${sentinelPort}`,
            "bind 127.0.0.1",
            `dir ${dir}`,
            `tls-cert-file ${certs.serverCert}`,
            `tls-key-file ${certs.serverKey}`,
            `tls-ca-cert-file ${certs.caCert}`,
            "tls-replication yes",
            "sentinel resolve-hostnames no",
            `sentinel monitor mymaster 127.0.0.1 ${master.tlsPort} 1`,
            "",
          ].join("\n"),
        );
        sentinel = spawn(REDIS_SENTINEL!, [conf], { cwd: dir, stdio: "ignore" });
        trackChild(sentinel);
        const sc = await waitFor("the sentinel to know the replica", async () => {
          const c = await RawClient.connectTls(sentinelPort, clientTls());
          const replicas = await c.call("SENTINEL", "replicas", "mymaster");
          if (Array.isArray(replicas) && replicas.length === 1) return c;
          c.close();
          return null;
        });
        sc.close();
        proxy = await startProxy(
          [
            "log_level: warn",
            "consistency: eventual",
            "sentinel:",
            "  master_name: mymaster",
            `  addresses: [127.0.0.1:${sentinelPort}]`,
            "  tls: yes",
            "backend_tls:",
            `  ca_file: ${certs.caCert}`,
            `  cert_file: ${certs.clientCert}`,
            `  key_file: ${certs.clientKey}`,
          ].join("\n"),
        );
        const c = await proxy.client();
        try {
          // Writes wait until the health poll (over TLS) has seen the master's own role:master.
          await waitFor(
            "the proxy to accept writes",
            async () => (await c.text("SET", "found", "through sentinel")) === "+OK\r\n",
          );
          const m = await master.tls();
          assert.equal(await m.text("GET", "found"), "$16\r\nthrough sentinel\r\n");
          m.close();
          // The replica Sentinel reported (by its TLS port) serves reads once polled over TLS.
          const backends = String(await c.call("PROXY", "BACKENDS"));
          assert.ok(backends.includes(`127.0.0.1:${replica.tlsPort}`), backends);
        } finally {
          c.close();
        }
      } finally {
        await proxy?.stop();
        if (sentinel !== null && sentinel.exitCode === null) {
          const gone = new Promise((res) => sentinel?.once("exit", res));
          sentinel.kill("SIGTERM");
          await gone;
        }
        await replica?.stop();
        await master.stop();
      }
    });
  });

  describe("tandem cli --tls", () => {
    let t: TlsServer;
    before(async () => {
      t = await startTls("tandem");
    });
    after(async () => {
      await t?.stop();
    });

    it("PING, SET and GET over TLS", async () => {
      const p = ["-p", String(t.tlsPort)];
      assert.deepEqual(await run(TANDEM_CLI, [...p, ...cliTls(), "PING"]), {
        code: 0,
        stdout: "PONG\n",
        stderr: "",
      });
      assert.equal((await run(TANDEM_CLI, [...p, ...cliTls(), "SET", "cli", "over tls"])).stdout, "OK\n");
      assert.equal((await run(TANDEM_CLI, [...p, ...cliTls(), "GET", "cli"])).stdout, "over tls\n");
      assert.equal(
        (
          await run(TANDEM_CLI, [
            ...p,
            "--tls",
            "--insecure",
            "--cert",
            certs.clientCert,
            "--key",
            certs.clientKey,
            "--sni",
            "localhost",
            "PING",
          ])
        ).stdout,
        "PONG\n",
      );
    });

    it("prints what redis-cli prints for unusable TLS settings and an unverifiable server", async () => {
      const p = ["-p", String(t.tlsPort)];
      const cases: string[][] = [
        ["--tls", "--cacert", certs.serverKey],
        ["--tls", "--cacert", join(certs.dir, "missing.crt")],
        [
          "--tls",
          "--cacert",
          certs.caCert,
          "--cert",
          join(certs.dir, "missing.crt"),
          "--key",
          certs.clientKey,
        ],
        ["--tls", "--cacert", certs.caCert, "--cert", certs.clientCert, "--key", certs.serverKey],
        ["--tls", "--cacert", certs.caCert, "--tls-ciphers", "NO-SUCH-CIPHER"],
        ["--tls", "--cacert", certs.caCert, "--tls-ciphersuites", "TLS_NO_SUCH_SUITE"],
        // Neither --cacert nor --cacertdir: the default trust store does not know the test CA.
        ["--tls", "--cert", certs.clientCert, "--key", certs.clientKey],
      ];
      for (const args of cases) {
        const ours = await run(TANDEM_CLI, [...p, ...args, "PING"]);
        const theirs = await run([REDIS_CLI!], [...p, ...args, "PING"]);
        assert.deepEqual(ours, theirs, args.join(" "));
        assert.equal(ours.code, 1);
      }
    });
  });
  it("passwords over TLS: a Tandem replica with masterauth; redis-cli --user/--pass to server and proxy", async () => {
    const pass = "s3cret-over-tls";
    const master = await startTls("tandem", ["--requirepass", pass]);
    let replica: TlsServer | null = null;
    let proxy: ProxyProcess | null = null;
    try {
      replica = await startTls("tandem", [
        "--tls-replication",
        "yes",
        "--masterauth",
        pass,
        "--replicaof",
        "127.0.0.1",
        String(master.tlsPort),
      ]);
      const r = await replica.tls();
      await waitLinkUp(r);
      const auth = ["--user", "default", "--pass", pass, "--no-auth-warning"];
      const m = ["-p", String(master.tlsPort), ...cliTls(), ...auth];
      assert.equal((await run([REDIS_CLI!], [...m, "SET", "secured", "yes"])).stdout, "OK\n");
      await waitFor(
        "the write to reach the replica over TLS",
        async () => (await r.text("GET", "secured")) === "$3\r\nyes\r\n",
      );
      r.close();
      // Without the password: NOAUTH, as Redis.
      assert.match(
        (await run([REDIS_CLI!], ["-p", String(master.tlsPort), ...cliTls(), "GET", "secured"])).stdout,
        /NOAUTH/,
      );
      // The proxy (plain listener and TLS backends) asks its clients for its own password.
      proxy = await startProxy(
        [
          `master: 127.0.0.1:${master.tlsPort}`,
          "replicas:",
          `  - 127.0.0.1:${replica.tlsPort}`,
          "log_level: warn",
          `requirepass: ${pass}`,
          `backend_password: ${pass}`,
          "backend_tls:",
          `  ca_file: ${certs.caCert}`,
          `  cert_file: ${certs.clientCert}`,
          `  key_file: ${certs.clientKey}`,
        ].join("\n"),
      );
      const viaProxy = ["-p", String(proxy.port), ...auth];
      assert.equal((await run([REDIS_CLI!], [...viaProxy, "GET", "secured"])).stdout, "yes\n");
      assert.match((await run([REDIS_CLI!], ["-p", String(proxy.port), "GET", "secured"])).stdout, /NOAUTH/);
    } finally {
      await proxy?.stop();
      await replica?.stop();
      await master.stop();
    }
  });
});
