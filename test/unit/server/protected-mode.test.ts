import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PROTECTED_MODE_DENIED, protectedModeDenies } from "../../../src/server/protected-mode.js";

/** The protected-mode decision (Redis 7.0's clientAcceptHandler + islocalClient). */
describe("protected mode", () => {
  it("refuses non-loopback peers only while it is on and the default user has no password", () => {
    for (const ip of [
      "10.0.0.5",
      "192.168.1.20",
      "127.0.0.2",
      "127.1.2.3",
      "2001:db8::1",
      "::ffff:10.0.0.5",
      "",
    ]) {
      assert.equal(protectedModeDenies(true, true, ip), true, ip);
      assert.equal(protectedModeDenies(false, true, ip), false, `${ip} with protected-mode no`);
      assert.equal(protectedModeDenies(true, false, ip), false, `${ip} with a password`);
    }
    for (const ip of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      assert.equal(protectedModeDenies(true, true, ip), false, ip);
    }
  });

  it("answers with Redis 7.0's text", () => {
    assert.match(PROTECTED_MODE_DENIED, /^DENIED Redis is running in protected mode because/);
    assert.match(PROTECTED_MODE_DENIED, /4\) Setup a an authentication password for the default user\./);
  });
});
