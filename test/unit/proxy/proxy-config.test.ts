import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/config/config-error.js";
import { PROXY_DEFAULTS, parseProxyConfig } from "../../../src/config/proxy-config.js";
import { REPO_ROOT } from "../../helpers/processes.js";
import { makeCertificates, NO_OPENSSL } from "../../helpers/tls-certs.js";

describe("proxy.yaml", () => {
  it("the shipped config/proxy.yaml is valid and fronts 6379 with replicas 6380, 6381 on 7379", () => {
    const c = parseProxyConfig(
      readFileSync(join(REPO_ROOT, "config", "proxy.yaml"), "utf8"),
      "config/proxy.yaml",
    );
    assert.deepEqual(c.listen, { host: "127.0.0.1", port: 7379 });
    assert.equal(c.master.port, 6379);
    assert.deepEqual(
      c.replicas.map((r) => r.port),
      [6380, 6381],
    );
    assert.equal(c.readPolicy, "round-robin");
    assert.deepEqual(c.admin, { listen: { host: "127.0.0.1", port: 7380 }, password: "" });
  });

  it("admin: listen host:port, a bare port, or off; its own password", () => {
    assert.deepEqual(parseProxyConfig("").admin, PROXY_DEFAULTS.admin);
    assert.deepEqual(parseProxyConfig("admin:\n  listen: 0.0.0.0:9121\n  password: s3cret\n").admin, {
      listen: { host: "0.0.0.0", port: 9121 },
      password: "s3cret",
    });
    assert.deepEqual(parseProxyConfig("admin:\n  listen: 9121\n").admin.listen, {
      host: "127.0.0.1",
      port: 9121,
    });
    assert.equal(parseProxyConfig("admin:\n  listen: off\n").admin.listen, null);
  });

  it("sentinel: master_name, addresses and an optional password; master: may then be left out", () => {
    const c = parseProxyConfig(
      "listen: 7379\nsentinel:\n  master_name: mymaster\n  addresses:\n    - 127.0.0.1:26379\n    - 26380\n  password: pw\n",
    );
    assert.deepEqual(c.sentinel, {
      masterName: "mymaster",
      addresses: [
        { host: "127.0.0.1", port: 26379 },
        { host: "127.0.0.1", port: 26380 },
      ],
      password: "pw",
      tls: false,
    });
    assert.equal(c.masterGiven, false);
    assert.equal(parseProxyConfig("master: 127.0.0.1:6379\n").masterGiven, true);
    assert.equal(parseProxyConfig("").sentinel, null);
  });

  it("an empty file means the defaults", () => {
    assert.deepEqual(parseProxyConfig("", "p.yaml"), { ...PROXY_DEFAULTS, file: "p.yaml" });
  });

  it("accepts weighted replicas", () => {
    const c = parseProxyConfig(
      "read_policy: weighted\nreplicas:\n  - 127.0.0.1:1\n  - { address: 127.0.0.1:2, weight: 3 }\n",
    );
    assert.deepEqual(
      c.replicas.map((r) => r.weight),
      [1, 3],
    );
  });

  const bad: [string, RegExp][] = [
    [
      "read_policy: random\n",
      /p\.yaml:1: read_policy: expected one of round-robin, least-outstanding, weighted/,
    ],
    ["listen: 127.0.0.1:7379\nmax_lag_ms: soon\n", /p\.yaml:2: max_lag_ms: expected an integer/],
    ["master: nowhere\n", /p\.yaml:1: master: expected host:port/],
    ["pool:\n  shared_connections: 0\n", /p\.yaml:2: pool\.shared_connections: must be between 1 and 64/],
    [
      "replicas:\n  - 127.0.0.1:6380\n  - 127.0.0.1:6380\n",
      /replicas\[1\]: 127\.0\.0\.1:6380 is listed twice/,
    ],
    ["no_eligible_replicas: error\n", /p\.yaml:1: no_eligible_replicas: unknown key/],
    ["breaker:\n  timeout: 5\n", /p\.yaml:2: breaker\.timeout: unknown key/],
    ["a: [\n", /p\.yaml:\d+: invalid YAML/],
    ["admin: on\n", /p\.yaml:1: admin: expected a mapping/],
    [
      "listen: 7379\nadmin:\n  listen: nowhere\n",
      /p\.yaml:3: admin\.listen: expected host:port or off, got 'nowhere'/,
    ],
    ["admin:\n  listen: 127.0.0.1:99999\n", /p\.yaml:2: admin\.listen: port must be an integer 0\.\.65535/],
    ["admin:\n  listen: [1, 2]\n", /p\.yaml:2: admin\.listen: expected host:port or off/],
    ["admin:\n  password: [a]\n", /p\.yaml:2: admin\.password: expected a string/],
    ["admin:\n  port: 7380\n", /p\.yaml:2: admin\.port: unknown key/],
    ["master: 127.0.0.1:6379\nmaster: 127.0.0.1:6380\n", /p\.yaml:2: invalid YAML: Map keys must be unique/],
    ["sentinel: mymaster\n", /p\.yaml:1: sentinel: expected a mapping/],
    ["sentinel:\n  addresses: [127.0.0.1:26379]\n", /p\.yaml:2: sentinel\.master_name: is required/],
    ["sentinel:\n  master_name: m\n", /p\.yaml:2: sentinel\.addresses: expected a non-empty list/],
    [
      "sentinel:\n  master_name: m\n  addresses: []\n",
      /p\.yaml:3: sentinel\.addresses: expected a non-empty/,
    ],
    [
      "sentinel:\n  master_name: m\n  addresses:\n    - 127.0.0.1:26379\n    - nowhere\n",
      /p\.yaml:5: sentinel\.addresses\[1\]: expected host:port, got 'nowhere'/,
    ],
    [
      "sentinel:\n  master_name: m\n  addresses: [26379]\n  quorum: 2\n",
      /p\.yaml:4: sentinel\.quorum: unknown key/,
    ],
  ];
  for (const [text, re] of bad) {
    it(`rejects ${JSON.stringify(text)} with file, line, key and reason`, () => {
      assert.throws(
        () => parseProxyConfig(text, "p.yaml"),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
      );
    });
  }

  it("tls: a client listener with its certificate, key, CA and auth_clients; files checked at load", {
    skip: NO_OPENSSL,
  }, () => {
    const certs = makeCertificates();
    const files = `  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n`;
    const c = parseProxyConfig(`tls:\n  listen: 7390\n${files}  ca_file: ${certs.caCert}\n`);
    assert.deepEqual(c.tls?.listen, { host: "127.0.0.1", port: 7390 });
    assert.equal(c.tls?.authClients, "yes");
    assert.equal((c.tls?.context.ca as string[] | undefined)?.length, 1);
    // YAML's booleans stand for yes/no; without client certificates no CA is needed.
    assert.equal(
      parseProxyConfig(`tls:\n  listen: 7390\n${files}  auth_clients: false\n`).tls?.authClients,
      "no",
    );
    // An encrypted key with its passphrase.
    const enc = `tls:\n  listen: 7390\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKeyEncrypted}\n  key_file_pass: ${certs.keyPass}\n  auth_clients: no\n`;
    assert.equal(parseProxyConfig(enc).tls?.authClients, "no");
    const err = (text: string) => {
      try {
        parseProxyConfig(text, "p.yaml");
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.message;
      }
      return assert.fail("accepted");
    };
    assert.equal(
      err(`tls:\n  listen: 7390\n${files}`),
      "p.yaml:2: tls.ca_file: is required unless auth_clients is no",
    );
    assert.equal(err("tls:\n  cert_file: x\n"), "p.yaml:2: tls.listen: is required");
    assert.equal(
      err(`tls:\n  listen: 7390\n  cert_file: ${certs.dir}/none.crt\n`),
      `p.yaml:3: tls.cert_file: Failed to load certificate: ${certs.dir}/none.crt: No such file or directory`,
    );
    assert.match(
      err(
        `tls:\n  listen: 7390\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.clientKey}\n  auth_clients: no\n`,
      ),
      new RegExp(
        `^p\\.yaml:4: tls\\.key_file: Failed to load private key: ${certs.clientKey}: key values mismatch$`,
      ),
    );
    assert.match(
      err(`tls:\n  listen: 7390\n${files}  auth_clients: maybe\n`),
      /tls\.auth_clients: expected one of yes, no, optional/,
    );
    assert.match(err("tls:\n  listen: 7390\n  typo: 1\n"), /tls\.typo: unknown key/);
  });

  it("backend_tls: CA, client certificate, server_name and verify full / ca / none", {
    skip: NO_OPENSSL,
  }, () => {
    const certs = makeCertificates();
    const full = parseProxyConfig(
      `backend_tls:\n  ca_file: ${certs.caCert}\n  cert_file: ${certs.clientCert}\n  key_file: ${certs.clientKey}\n  server_name: db.internal\n`,
    ).backendTls?.options;
    assert.equal(full?.rejectUnauthorized, true);
    assert.equal(full?.servername, "db.internal");
    assert.equal(full?.checkServerIdentity, undefined); // node:tls's own host name check
    assert.ok(Buffer.isBuffer(full?.cert) && Buffer.isBuffer(full?.key));
    const ca = parseProxyConfig(`backend_tls:\n  ca_file: ${certs.caCert}\n  verify: ca\n`).backendTls
      ?.options;
    assert.equal(ca?.rejectUnauthorized, true);
    assert.equal(typeof ca?.checkServerIdentity, "function");
    assert.equal(
      parseProxyConfig("backend_tls:\n  verify: none\n").backendTls?.options.rejectUnauthorized,
      false,
    );
    assert.equal(parseProxyConfig("").backendTls, null);
    assert.throws(
      () => parseProxyConfig(`backend_tls:\n  cert_file: ${certs.clientCert}\n`),
      /backend_tls\.key_file: cert_file and key_file go together/,
    );
    assert.throws(
      () => parseProxyConfig("sentinel:\n  master_name: m\n  addresses: [26379]\n  tls: yes\n"),
      /sentinel\.tls: needs a backend_tls: section/,
    );
    assert.equal(
      parseProxyConfig(
        "sentinel:\n  master_name: m\n  addresses: [26379]\n  tls: yes\nbackend_tls: { verify: none }\n",
      ).sentinel?.tls,
      true,
    );
  });
});
