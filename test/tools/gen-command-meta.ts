import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RespErrorReply, type RespValue } from "../../src/resp/resp-value.js";
import { REPO_ROOT, startRedis } from "../helpers/processes.js";

/**
 * Regenerates src/command-table/redis-command-meta.json from a running Debian redis-server 7.0: what COMMAND
 * and COMMAND DOCS say about every command (flags in Redis's print order, ACL categories, tips, key specs,
 * and the structured parts of the docs). Only facts are kept; the prose of COMMAND DOCS (summary,
 * complexity, history texts, argument summaries) is left out on purpose.
 *
 * Usage: npx tsc -p . && node dist/test/tools/gen-command-meta.js
 */

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function str(v: RespValue): string {
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  if (typeof v === "string") return v;
  throw new Error(`expected a string, got ${JSON.stringify(v)}`);
}

function map(v: RespValue): Map<string, RespValue> {
  if (!(v instanceof Map)) throw new Error(`expected a map, got ${JSON.stringify(v)}`);
  const out = new Map<string, RespValue>();
  for (const [k, x] of v) out.set(str(k), x);
  return out;
}

function strings(v: RespValue): string[] {
  if (v instanceof Set) return [...v].map(str);
  if (Array.isArray(v)) return v.map(str);
  throw new Error(`expected a set, got ${JSON.stringify(v)}`);
}

/** One key spec as [flags, begin_search, find_keys, notes?] in compact tuples (see command-meta.ts). */
function keySpec(v: RespValue): Json {
  const m = map(v);
  const bs = map(m.get("begin_search")!);
  const bsSpec = map(bs.get("spec")!);
  const bsType = str(bs.get("type")!);
  const fk = map(m.get("find_keys")!);
  const fkSpec = map(fk.get("spec")!);
  const fkType = str(fk.get("type")!);
  const out: { [k: string]: Json } = { flags: strings(m.get("flags")!) };
  if (m.has("notes")) out.notes = str(m.get("notes")!);
  if (bsType === "index") out.bs = ["index", bsSpec.get("index") as number];
  else if (bsType === "keyword")
    out.bs = ["keyword", str(bsSpec.get("keyword")!), bsSpec.get("startfrom") as number];
  else out.bs = ["unknown"];
  if (fkType === "range")
    out.fk = [
      "range",
      fkSpec.get("lastkey") as number,
      fkSpec.get("keystep") as number,
      fkSpec.get("limit") as number,
    ];
  else if (fkType === "keynum")
    out.fk = [
      "keynum",
      fkSpec.get("keynumidx") as number,
      fkSpec.get("firstkey") as number,
      fkSpec.get("keystep") as number,
    ];
  else out.fk = ["unknown"];
  return out;
}

interface Meta {
  [k: string]: Json;
}

function commandInfo(v: RespValue[]): [string, Meta] {
  const [name, arity, flags, first, last, step, acl, tips, specs, subs] = v;
  const meta: Meta = {
    arity: arity as number,
    flags: strings(flags),
    first: first as number,
    last: last as number,
    step: step as number,
    acl: strings(acl),
    tips: strings(tips),
    keySpecs: [...(specs as Set<RespValue>)].map(keySpec),
  };
  const subList = subs instanceof Set ? [...subs] : (subs as RespValue[]);
  if (subList.length > 0) {
    const out: { [k: string]: Json } = {};
    for (const s of subList.map((x) => commandInfo(x as RespValue[])).sort(([a], [b]) => (a < b ? -1 : 1))) {
      out[s[0].split("|")[1]] = s[1];
    }
    meta.subcommands = out;
  }
  return [str(name), meta];
}

/** An argument of COMMAND DOCS without its prose (summary). */
function docArg(v: RespValue): Json {
  const m = map(v);
  const out: { [k: string]: Json } = { name: str(m.get("name")!), type: str(m.get("type")!) };
  if (m.has("key_spec_index")) out.key_spec_index = m.get("key_spec_index") as number;
  if (m.has("token")) out.token = str(m.get("token")!);
  if (m.has("since")) out.since = str(m.get("since")!);
  if (m.has("deprecated_since")) out.deprecated_since = str(m.get("deprecated_since")!);
  if (m.has("flags")) out.flags = strings(m.get("flags")!);
  if (m.has("arguments")) out.arguments = (m.get("arguments") as RespValue[]).map(docArg);
  return out;
}

/** The factual fields of one COMMAND DOCS entry. */
function docEntry(v: RespValue): Meta {
  const m = map(v);
  const out: Meta = { group: str(m.get("group")!) };
  if (m.has("since")) out.since = str(m.get("since")!);
  if (m.has("doc_flags")) out.doc_flags = strings(m.get("doc_flags")!);
  if (m.has("deprecated_since")) out.deprecated_since = str(m.get("deprecated_since")!);
  if (m.has("replaced_by")) out.replaced_by = str(m.get("replaced_by")!);
  if (m.has("arguments")) out.arguments = (m.get("arguments") as RespValue[]).map(docArg);
  return out;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const cli = await redis.client();
    await cli.call("HELLO", "3");
    const version = (map(await cli.call("HELLO", "3")).get("version") as Buffer).toString();
    const all = (await cli.call("COMMAND")) as RespValue[];
    const docs = map(await cli.call("COMMAND", "DOCS"));
    const out: { [k: string]: Json } = {};
    for (const [name, meta] of all
      .map((x) => commandInfo(x as RespValue[]))
      .sort(([a], [b]) => (a < b ? -1 : 1))) {
      const d = docs.get(name);
      if (d === undefined || d instanceof RespErrorReply) throw new Error(`no docs for ${name}`);
      meta.docs = docEntry(d);
      const subDocs = map(d).get("subcommands");
      if (subDocs && meta.subcommands) {
        const sd = map(subDocs);
        for (const [sub, subMeta] of Object.entries(meta.subcommands as { [k: string]: Meta })) {
          subMeta.docs = docEntry(sd.get(`${name}|${sub}`)!);
        }
      }
      out[name] = meta;
    }
    const file = join(REPO_ROOT, "src", "commands", "redis-command-meta.json");
    writeFileSync(file, JSON.stringify({ redisVersion: version, commands: out }) + "\n");
    // The repository's formatter decides the layout, so a regenerated file diffs cleanly.
    spawnSync("npx", ["biome", "format", "--write", file], { cwd: REPO_ROOT, stdio: "inherit" });
    console.log(`wrote ${Object.keys(out).length} commands of Redis ${version} to ${file}`);
    cli.close();
  } finally {
    await redis.stop();
  }
}

await main();
