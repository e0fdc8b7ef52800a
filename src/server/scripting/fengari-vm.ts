import { readFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import type * as Fengari from "fengari";

/**
 * fengari, loaded with Tandem's local patches: the only place that loads it (every scripting file imports
 * the VM from here), so the patches are in before any of fengari's modules runs.
 *
 * The patches are edits of fengari 0.1.5's sources (the exact version package.json pins), applied as
 * Node compiles each file: a require hook active only while fengari loads. Each edit states how many
 * times its text occurs in the file; if that ever differs (another fengari version), loading fails
 * instead of running a half-patched VM. The first three change speed only, not behaviour — measured
 * with the scripts benchmark (see BENCHMARKS.md), where fengari's stack handling and allocations were
 * about a third of a script's cost:
 *
 * 1. Stack slots above the top are cleared by assigning `undefined`, not with `delete`: V8 runs every
 *    `delete` of an array element through the runtime (no inline cache), and fengari pops that way on
 *    every API call and every return. A slot above the top is never read before it is written again, so
 *    the two are the same to fengari.
 * 2. CallInfo records are reused, as C Lua does (`next_ci`): fengari dropped the record of every finished
 *    call and allocated a new one for the next — one allocation per Lua and per JS function call. Every
 *    field a call reads is set by luaD_precall (and lua_callk/pcallk) when the record is taken, as in C.
 * 3. A table's map of deleted keys (kept so `next` can go on from a key removed while iterating) is made
 *    on the first deletion, as its map of deleted object keys already was: most tables never delete, and
 *    every table (KEYS, ARGV, each table a redis.call reply becomes) allocated one.
 *
 * 4. The key a string has in a table's Map is "|" followed by its bytes as latin1 characters. fengari
 *    wrote each byte in hexadecimal without padding, which is slow (a number formatted per byte) and
 *    not one-to-one: "\1\16" and "\17\0" both gave "|110", so they were the same table key. This
 *    one fixes behaviour too: t['\1\16'] = 1 made t['\17\0'] 1 as well, where Redis has nil.
 *
 * Other adjustments to fengari (the Lua 5.1 number model, error wording) are made at run time in
 * lua-runtime.ts, by replacing functions fengari's modules call through their exports.
 */

interface Edit {
  find: string | RegExp;
  replace: string;
  /** How many times `find` occurs in the file. */
  count: number;
}

const POP_WITH_DELETE = /delete ((?:L|from)\.stack\[[^\]]+\]);/g;
const popByAssignment = (count: number): Edit => ({
  find: POP_WITH_DELETE,
  replace: "$1 = undefined;",
  count,
});

const PATCHES: Record<string, Edit[]> = {
  "lapi.js": [popByAssignment(18)],
  "ldebug.js": [popByAssignment(1)],
  "ldo.js": [
    popByAssignment(5),
    {
      find: "    L.ci = ci.previous;\n    L.ci.next = null;\n",
      replace: "    L.ci = ci.previous;\n",
      count: 1,
    },
  ],
  "lparser.js": [popByAssignment(1)],
  "ltm.js": [popByAssignment(1)],
  "lvm.js": [popByAssignment(3)],
  "ltable.js": [
    {
      find: "        this.dead_strong = new Map();\n",
      replace: "        this.dead_strong = void 0; /* initialised when needed */\n",
      count: 1,
    },
    { find: "    t.dead_strong.clear();\n", replace: "    t.dead_strong = void 0;\n", count: 1 },
    {
      find: "            t.dead_strong.set(hash, e);\n",
      replace:
        "            if (!t.dead_strong) t.dead_strong = new Map();\n            t.dead_strong.set(hash, e);\n",
      count: 1,
    },
    {
      find: "|| table.dead_strong.get(hash);",
      replace: "|| (table.dead_strong && table.dead_strong.get(hash));",
      count: 1,
    },
  ],
  "lstring.js": [
    {
      find: '    let s = "|";\n    for (let i=0; i<len; i++)\n        s += str[i].toString(16);\n    return s;\n',
      replace:
        '    if (len > 32) return "|" + Buffer.from(str.buffer, str.byteOffset, len).latin1Slice(0, len);\n    let s = "|";\n    for (let i=0; i<len; i++)\n        s += String.fromCharCode(str[i]);\n    return s;\n',
      count: 1,
    },
  ],
  "lstate.js": [
    {
      find: "    let ci = new CallInfo();\n    L.ci.next = ci;\n    ci.previous = L.ci;\n    ci.next = null;\n",
      replace:
        "    let ci = L.ci.next;\n    if (ci === null) {\n        ci = new CallInfo();\n        L.ci.next = ci;\n        ci.previous = L.ci;\n        ci.next = null;\n    }\n",
      count: 1,
    },
  ],
};

/** Applies `edits` to `source`, or throws when an edit's text does not occur as often as it says. */
export function applyEdits(file: string, source: string, edits: readonly Edit[]): string {
  let out = source;
  for (const e of edits) {
    const found =
      typeof e.find === "string" ? out.split(e.find).length - 1 : (out.match(e.find)?.length ?? 0);
    if (found !== e.count) {
      throw new Error(
        `fengari patch for ${file} does not apply (found ${found} of ${e.count}): is fengari still 0.1.5?`,
      );
    }
    out = typeof e.find === "string" ? out.split(e.find).join(e.replace) : out.replace(e.find, e.replace);
  }
  return out;
}

interface CjsModule {
  _compile(source: string, filename: string): void;
}
type JsLoader = (m: CjsModule, filename: string) => void;

function loadPatched(): typeof Fengari {
  const require = createRequire(import.meta.url);
  const srcDir = require.resolve("fengari").replace(/fengari\.js$/, "");
  const loaders = (Module as unknown as { _extensions: Record<string, JsLoader> })._extensions;
  const original = loaders[".js"];
  const patched = new Set<string>();
  loaders[".js"] = (m, filename) => {
    const edits = filename.startsWith(srcDir) ? PATCHES[filename.slice(srcDir.length)] : undefined;
    if (edits === undefined) {
      original(m, filename);
      return;
    }
    const name = filename.slice(srcDir.length);
    m._compile(applyEdits(name, readFileSync(filename, "utf8"), edits), filename);
    patched.add(name);
  };
  let fengari: typeof Fengari;
  try {
    fengari = require("fengari");
  } finally {
    loaders[".js"] = original;
  }
  const missed = Object.keys(PATCHES).filter((f) => !patched.has(f));
  // A file loaded before the hook (imported from elsewhere first) would run unpatched next to patched ones.
  if (missed.length > 0) throw new Error(`fengari was loaded before its patches: ${missed.join(", ")}`);
  return fengari;
}

const fengari = loadPatched();

/** The names of fengari's files that were patched (for the test that checks they all were). */
export const FENGARI_PATCHED_FILES: readonly string[] = Object.keys(PATCHES);

export const lua: typeof Fengari.lua = fengari.lua;
export const lauxlib: typeof Fengari.lauxlib = fengari.lauxlib;
export const lualib: typeof Fengari.lualib = fengari.lualib;
export const to_luastring: typeof Fengari.to_luastring = fengari.to_luastring;
export type { LuaDebug, LuaJsFunction, LuaState, LuaString } from "fengari";
