import assert from "node:assert/strict";
import { constants } from "node:crypto";
import { describe, it } from "node:test";
import { cipherString, protocolOptions, TlsSettingsError } from "../../../src/net/tls-settings.js";

/** The mapping of Redis's tls-protocols / tls-ciphers / tls-ciphersuites onto node:tls options. */

describe("tls-protocols", () => {
  it("defaults to TLSv1.2 and TLSv1.3, and takes Redis's names in any case", () => {
    assert.deepEqual(protocolOptions(""), { minVersion: "TLSv1.2", maxVersion: "TLSv1.3", secureOptions: 0 });
    assert.deepEqual(protocolOptions("tlsv1.3"), {
      minVersion: "TLSv1.3",
      maxVersion: "TLSv1.3",
      secureOptions: 0,
    });
    assert.deepEqual(protocolOptions("TLSv1.2 TLSv1.1"), {
      minVersion: "TLSv1.1",
      maxVersion: "TLSv1.2",
      secureOptions: 0,
    });
  });

  it("switches off the versions left out inside the range (Redis allows any set)", () => {
    assert.deepEqual(protocolOptions("TLSv1 TLSv1.3"), {
      minVersion: "TLSv1",
      maxVersion: "TLSv1.3",
      secureOptions: constants.SSL_OP_NO_TLSv1_1 | constants.SSL_OP_NO_TLSv1_2,
    });
  });

  it("refuses anything else with Redis's message (double spaces too, as Redis splits on each space)", () => {
    for (const bad of ["SSLv3", "TLSv1.2  TLSv1.3", "TLSv1.4"]) {
      assert.throws(
        () => protocolOptions(bad),
        (e: unknown) =>
          e instanceof TlsSettingsError &&
          e.message ===
            "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
        bad,
      );
    }
  });
});

describe("tls-ciphers / tls-ciphersuites", () => {
  it("joins both halves, each empty one replaced by Node's default for it", () => {
    const both = cipherString("ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256");
    assert.equal(both, "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256");
    const onlyOld = cipherString("ECDHE-RSA-AES128-GCM-SHA256", "").split(":");
    assert.ok(
      onlyOld.some((c) => c.startsWith("TLS_")),
      "TLSv1.3 keeps its default suites",
    );
    const onlyNew = cipherString("", "TLS_AES_128_GCM_SHA256").split(":");
    assert.ok(
      onlyNew.some((c) => c.startsWith("ECDHE-")),
      "TLSv1.2 keeps its default ciphers",
    );
  });

  it("names the setting that OpenSSL refuses", () => {
    assert.throws(
      () => cipherString("NO-SUCH-CIPHER", ""),
      /^TlsSettingsError: Failed to configure ciphers: NO-SUCH-CIPHER$/,
    );
    assert.throws(() => cipherString("", "TLS_NOPE"), /Failed to configure ciphersuites: TLS_NOPE/);
    // A TLSv1.2 cipher given as a TLSv1.3 suite would silently land in the other half: refused.
    assert.throws(() => cipherString("", "ECDHE-RSA-AES128-GCM-SHA256"), /Failed to configure ciphersuites/);
  });
});
