import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../helpers/processes.js";

/**
 * The layers of CONTRIBUTING.md ("what may import what"), checked on the sources: each folder of src/ may
 * import only the folders listed for it. A new import across layers either fits this table or the table (and
 * CONTRIBUTING.md) changes with a reason.
 */
const ALLOWED: Record<string, readonly string[]> = {
  resp: [],
  net: [],
  "command-table": ["resp"],
  config: ["resp", "net", "command-table"],
  store: ["resp", "command-table"],
  persistence: ["resp", "net", "command-table", "config", "store"],
  replication: ["resp", "net", "command-table", "config", "store", "persistence"],
  server: ["resp", "net", "command-table", "config", "store", "persistence", "replication"],
  proxy: ["resp", "net", "command-table", "config"],
  cli: ["resp", "net", "command-table", "config", "store", "persistence", "replication", "server", "proxy"],
};

const SRC = join(REPO_ROOT, "src");

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("layers (CONTRIBUTING.md)", () => {
  it("every folder of src/ has a row", () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    assert.deepEqual(folders.sort(), Object.keys(ALLOWED).sort());
  });

  it("no source imports a layer it may not", () => {
    const wrong: string[] = [];
    for (const file of sources(SRC)) {
      const layer = relative(SRC, file).split(sep)[0];
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/from "(\.[^"]+)"/g)) {
        const target = relative(SRC, normalize(join(dirname(file), m[1]))).split(sep)[0];
        if (target !== layer && !ALLOWED[layer].includes(target)) {
          wrong.push(`${relative(REPO_ROOT, file)} imports ${m[1]} (${layer} → ${target})`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });
});
