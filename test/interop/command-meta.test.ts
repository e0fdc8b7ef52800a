import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REDIS_COMMAND_META } from "../../src/commands/redis-command-meta.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import { NO_REDIS, REPO_ROOT, type ServerProcess, startRedis } from "../helpers/processes.js";

/**
 * src/commands/redis-command-meta.ts is generated from the COMMAND reply of Debian's redis-server 7.0, the
 * same source @ioredis/commands builds its table from (it keeps arity, flags and the legacy key range;
 * this adds what the ACL needs: each command's and subcommand's ACL categories and key specs). This test
 * proves the committed file is what that server answers; `UPDATE_COMMAND_META=1 node test/run.mjs
 * command-meta` rewrites it.
 */

const TARGET = join(REPO_ROOT, "src", "commands", "redis-command-meta.ts");

const str = (v: RespValue): string => (Buffer.isBuffer(v) ? v.toString("latin1") : String(v));

/** A key spec reply (flat name/value list) → the compact literal the table loader reads. */
function keySpecLiteral(raw: RespValue[]): string {
  const m = new Map<string, RespValue>();
  for (let i = 0; i < raw.length; i += 2) m.set(str(raw[i]), raw[i + 1]);
  const flags = (m.get("flags") as RespValue[]).map(str).join(" ");
  const fields = [`f: ${JSON.stringify(flags)}`];
  const bs = m.get("begin_search") as RespValue[];
  const bsType = str(bs[1]);
  const bsSpec = bs[3] as RespValue[];
  if (bsType === "index") fields.push(`i: ${Number(bsSpec[1])}`);
  else if (bsType === "keyword") fields.push(`kw: [${JSON.stringify(str(bsSpec[1]))}, ${Number(bsSpec[3])}]`);
  else fields.push("bsUnknown: true");
  const fk = m.get("find_keys") as RespValue[];
  const fkType = str(fk[1]);
  const fkSpec = fk[3] as RespValue[];
  if (fkType === "range")
    fields.push(`range: [${Number(fkSpec[1])}, ${Number(fkSpec[3])}, ${Number(fkSpec[5])}]`);
  else if (fkType === "keynum")
    fields.push(`keynum: [${Number(fkSpec[1])}, ${Number(fkSpec[3])}, ${Number(fkSpec[5])}]`);
  else fields.push("fkUnknown: true");
  return `{ ${fields.join(", ")} }`;
}

function collect(entry: RespValue[], out: Map<string, string>): void {
  const name = str(entry[0]);
  const categories = (entry[6] as Set<RespValue> | RespValue[]) ?? [];
  const cats = [...categories].map((c) => str(c).replace(/^@/, "")).join(" ");
  const specs = ((entry[8] as RespValue[]) ?? []).map((s) => keySpecLiteral(s as RespValue[]));
  out.set(name, `  ${JSON.stringify(name)}: [${JSON.stringify(cats)}, [${specs.join(", ")}]],`);
  for (const sub of (entry[9] as RespValue[]) ?? []) collect(sub as RespValue[], out);
}

export function renderCommandMeta(version: string, reply: RespValue[]): string {
  const entries = new Map<string, string>();
  for (const e of reply) collect(e as RespValue[], entries);
  const names = [...entries.keys()].sort();
  return [
    `// Generated from the COMMAND reply of Redis ${version} by test/interop/command-meta.test.ts`,
    "// (UPDATE_COMMAND_META=1 node test/run.mjs command-meta). Do not edit by hand.",
    "",
    'import type { RawKeySpec } from "./key-specs.js";',
    "",
    `export const REDIS_COMMAND_META_VERSION = ${JSON.stringify(version)};`,
    "",
    '/** Full name ("config|get") → [ACL categories in Redis\'s order, key specs]. */',
    "export const REDIS_COMMAND_META: Readonly<Record<string, readonly [string, readonly RawKeySpec[]]>> = {",
    ...names.map((n) => entries.get(n)!),
    "};",
    "",
  ].join("\n");
}

describe("Redis command metadata (ACL categories, key specs)", { skip: NO_REDIS }, () => {
  let redis: ServerProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("src/commands/redis-command-meta.ts is what redis-server 7.0's COMMAND answers", async () => {
    const c = await redis.client();
    try {
      const info = str(await c.call("INFO", "server"));
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
      assert.match(version, /^7\.0\./, "the metadata is Redis 7.0's");
      const reply = (await c.call("COMMAND")) as RespValue[];
      const text = renderCommandMeta(version, reply);
      if (process.env.UPDATE_COMMAND_META === "1") {
        writeFileSync(TARGET, text);
        const biome = join(REPO_ROOT, "node_modules", ".bin", "biome");
        spawnSync(biome, ["format", "--write", TARGET], { stdio: "inherit" });
        return;
      }
      // The data (not the text: the file is formatted by biome) must be what the server says.
      const fresh = new Function(
        `return {${text.slice(text.indexOf("= {") + 3, text.lastIndexOf("}"))}}`,
      )() as typeof REDIS_COMMAND_META;
      assert.deepEqual({ ...REDIS_COMMAND_META }, fresh, "regenerate with UPDATE_COMMAND_META=1");
    } finally {
      c.close();
    }
  });
});
