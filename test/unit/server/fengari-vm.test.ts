import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { applyEdits, FENGARI_PATCHED_FILES, lua } from "../../../src/server/scripting/fengari-vm.js";

/**
 * fengari's local patches (src/server/scripting/fengari-vm.ts): they apply to the pinned version, every
 * patched file was loaded through them, and nothing in the sources loads fengari another way.
 */

const require = createRequire(import.meta.url);
const SRC = join(import.meta.dirname, "..", "..", "..", "..", "src");

describe("fengari patches", () => {
  it("an edit applies only when its text occurs as often as it says", () => {
    assert.equal(applyEdits("f.js", "a; a; b", [{ find: "a;", replace: "c;", count: 2 }]), "c; c; b");
    assert.equal(applyEdits("f.js", "x1 x2", [{ find: /x(\d)/g, replace: "y$1", count: 2 }]), "y1 y2");
    assert.throws(
      () => applyEdits("f.js", "a; b", [{ find: "a;", replace: "c;", count: 2 }]),
      /fengari patch for f\.js does not apply \(found 1 of 2\)/,
    );
    assert.throws(() => applyEdits("f.js", "b", [{ find: /a/g, replace: "c", count: 1 }]), /found 0 of 1/);
  });

  it("the loaded fengari modules are the patched ones", () => {
    assert.ok(lua.lua_gettop, "fengari's API is exported");
    for (const file of FENGARI_PATCHED_FILES) {
      const exports = require(`fengari/src/${file}`) as Record<string, unknown>;
      for (const [name, value] of Object.entries(exports)) {
        if (typeof value !== "function") continue;
        assert.doesNotMatch(String(value), /delete (L|from)\.stack\[/, `${file} ${name} pops with delete`);
      }
    }
    const lstate = require("fengari/src/lstate.js") as { luaE_extendCI: () => void };
    assert.match(String(lstate.luaE_extendCI), /let ci = L\.ci\.next;/, "CallInfo records are reused");
    const ldo = require("fengari/src/ldo.js") as { luaD_poscall: () => void };
    assert.doesNotMatch(String(ldo.luaD_poscall), /L\.ci\.next = null/);
    const ltable = require("fengari/src/ltable.js") as { luaH_new: (L: unknown) => { dead_strong: unknown } };
    const L = { l_G: { id_counter: 0 } };
    assert.equal(
      ltable.luaH_new(L).dead_strong,
      undefined,
      "a table's map of deleted keys is made when needed",
    );
    const lstring = require("fengari/src/lstring.js") as { luaS_hash: (s: Uint8Array) => string };
    assert.notEqual(lstring.luaS_hash(Uint8Array.of(1, 16)), lstring.luaS_hash(Uint8Array.of(17, 0)));
    assert.equal(lstring.luaS_hash(Uint8Array.of(0x41, 0xff)), "|A\xff");
    assert.equal(lstring.luaS_hash(new Uint8Array(40).fill(0xe9)), `|${"\xe9".repeat(40)}`);
  });

  it("only fengari-vm.ts loads fengari", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && e.name !== "fengari-vm.ts") {
          const text = readFileSync(p, "utf8");
          // A value import of "fengari" (type-only imports are erased) or a require of it. (Requiring one of
          // its files first would make fengari-vm.ts throw: those files would bypass the patches.)
          if (/^import (?!type )[^;]*from "fengari"/m.test(text) || /require\w*\("fengari"\)/.test(text)) {
            offenders.push(p);
          }
        }
      }
    };
    walk(SRC);
    assert.deepEqual(offenders, []);
  });
});
