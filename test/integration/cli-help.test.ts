import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { TANDEM_BIN } from "../helpers/processes.js";

/** `tandem --help` and `tandem <subcommand> --help`: usage on stdout, exit 0, nothing started. */

function run(args: string[]) {
  return spawnSync(process.execPath, [TANDEM_BIN, ...args], { encoding: "utf8", timeout: 10_000 });
}

describe("tandem --help", () => {
  it("lists the subcommands", () => {
    const r = run(["--help"]);
    assert.equal(r.status, 0);
    for (const sub of ["server", "proxy", "up", "status", "drain", "undrain", "cli"])
      assert.match(r.stdout, new RegExp(`^  ${sub} `, "m"));
  });

  for (const sub of ["server", "proxy", "up", "status", "drain", "undrain", "cli"]) {
    it(`tandem ${sub} --help prints its usage and exits 0`, () => {
      const r = run([sub, "--help"]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: tandem ${sub} `));
      assert.equal(r.stderr, "");
    });
  }

  it("tandem up with a bad option or port list is one clear line, exit 1, nothing started", () => {
    for (const args of [
      ["--ports", "1,2,3"],
      ["--ports", "7,7,8,9"],
      ["--bogus", "1"],
    ]) {
      const r = run(["up", ...args]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^tandem up: .*\n$/);
      assert.doesNotMatch(r.stdout, /starting/);
    }
  });

  it("an unknown subcommand is one clear line and exit 1", () => {
    const r = run(["serve"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^tandem: unknown command 'serve'\n/);
  });
});
