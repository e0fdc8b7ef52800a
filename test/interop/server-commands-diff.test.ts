import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { same } from "../helpers/differential.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import type { RawClient } from "../helpers/raw-client.js";

/**
 * Connection and server commands, Tandem vs Debian's redis-server 7.0, raw reply bytes. Replies that carry
 * ids, times or addresses are compared by shape (the fields, not their values).
 */

/** CLIENT LIST / INFO lines → field names with the values that must match. */
function clientLineShape(text: string): string {
  const body = text.slice(text.indexOf("\r\n") + 2);
  return body
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) =>
      line
        .split(" ")
        .map((kv) => {
          const [k, _v] = kv.split("=");
          return ["name", "flags", "db", "sub", "psub", "multi", "cmd", "user", "resp"].includes(k) ? kv : k;
        })
        .join(" "),
    )
    .join("\n");
}

/** INFO text → "section: field field ..." for the fields both print. */
function infoFields(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let section = "";
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) {
      section = line.slice(2);
      out.set(section, new Set());
    } else if (line.includes(":")) out.get(section)?.add(line.slice(0, line.indexOf(":")));
  }
  return out;
}

describe("server commands: tandem vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;

  before(async () => {
    [tandem, redis] = await Promise.all([startTandem(), startRedis()]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });
  after(async () => {
    t?.close();
    r?.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  it("rejected_calls counts every rejection, the one inside MULTI (no-multi SAVE) included", async () => {
    await same(t, r, ["CONFIG", "RESETSTAT"]);
    await same(t, r, ["MULTI"]);
    await same(t, r, ["SAVE"]);
    await same(t, r, ["EXEC"]);
    await same(t, r, ["GET"]);
    const stat = async (c: RawClient, cmd: string) => {
      const text = ((await c.call("INFO", "commandstats")) as Buffer).toString();
      return /rejected_calls=\d+,failed_calls=\d+/.exec(
        text.split("\r\n").find((l) => l.startsWith(`cmdstat_${cmd}:`)) ?? "",
      )?.[0];
    };
    for (const cmd of ["save", "get", "exec"]) assert.equal(await stat(t, cmd), await stat(r, cmd), cmd);
    assert.equal(await stat(t, "save"), "rejected_calls=1,failed_calls=0");
  });

  it("PING, ECHO and their errors", async () => {
    await same(t, r, ["PING"]);
    await same(t, r, ["PING", "hello"]);
    await same(t, r, ["PING", "a", "b"]);
    await same(t, r, ["ECHO", "x\r\ny"]);
    await same(t, r, ["ECHO"]);
    await same(t, r, ["ping"]);
  });

  it("AUTH without a password configured, HELLO errors", async () => {
    await same(t, r, ["AUTH", "x"]);
    await same(t, r, ["AUTH", "default", "x"]);
    await same(t, r, ["AUTH", "a", "b", "c"]);
    await same(t, r, ["HELLO", "4"]);
    await same(t, r, ["HELLO", "x"]);
    await same(t, r, ["HELLO", "3", "foo"]);
    await same(t, r, ["HELLO", "2", "AUTH", "a", "b"]);
    await same(t, r, ["HELLO", "2", "SETNAME", "a b"]);
  });

  it("HELLO 3 switches to RESP3 (id compared by shape) and RESET returns to RESP2", async () => {
    const [a, b] = await Promise.all([t.text("HELLO", "3"), r.text("HELLO", "3")]);
    assert.equal(a.replace(/\$2\r\nid\r\n:\d+/, "id"), b.replace(/\$2\r\nid\r\n:\d+/, "id"));
    await same(t, r, ["CLIENT", "GETNAME"]);
    await same(t, r, ["CONFIG", "GET", "maxclients"]);
    await same(t, r, ["RESET"]);
    await same(t, r, ["CONFIG", "GET", "maxclients"]);
  });

  it("RESET leaves MULTI, subscriptions, the selected db and the name", async () => {
    await same(t, r, ["SELECT", "3"]);
    await same(t, r, ["CLIENT", "SETNAME", "conn1"]);
    await same(t, r, ["MULTI"]);
    await same(t, r, ["SET", "k", "v"]);
    await same(t, r, ["RESET"]);
    await same(t, r, ["EXEC"]);
    await same(t, r, ["CLIENT", "GETNAME"]);
    await same(t, r, ["SUBSCRIBE", "ch"]);
    await same(t, r, ["RESET"]);
    await same(t, r, ["GET", "k"]);
  });

  it("CLIENT subcommands and their errors", async () => {
    await same(t, r, ["CLIENT", "SETNAME", "a b"]);
    await same(t, r, ["CLIENT", "SETNAME", "myname"]);
    await same(t, r, ["CLIENT", "GETNAME"]);
    await same(t, r, ["CLIENT", "SETNAME", ""]);
    await same(t, r, ["CLIENT", "GETNAME"]);
    await same(t, r, ["CLIENT", "KILL", "1.2.3.4:5"]);
    await same(t, r, ["CLIENT", "KILL", "ID", "abc"]);
    await same(t, r, ["CLIENT", "KILL", "ID", "99999"]);
    await same(t, r, ["CLIENT", "KILL", "foo", "bar"]);
    await same(t, r, ["CLIENT", "KILL", "TYPE", "xx"]);
    await same(t, r, ["CLIENT", "KILL", "USER", "nobody"]);
    await same(t, r, ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"]);
    await same(t, r, ["CLIENT", "KILL", "LADDR", "1.1.1.1:1"]);
    await same(t, r, ["CLIENT", "KILL", "ID", "1", "SKIPME", "maybe"]);
    await same(t, r, ["CLIENT", "KILL", "TYPE", "pubsub"]);
    await same(t, r, ["CLIENT", "LIST", "TYPE", "foo"]);
    await same(t, r, ["CLIENT", "LIST", "ID", "1", "x"]);
    await same(t, r, ["CLIENT", "LIST", "ID", "99999"]);
    await same(t, r, ["CLIENT", "LIST", "foo"]);
    await same(t, r, ["CLIENT", "REPLY", "foo"]);
    await same(t, r, ["CLIENT", "NO-EVICT", "x"]);
    await same(t, r, ["CLIENT", "NO-EVICT", "on"]);
    await same(t, r, ["CLIENT", "NO-EVICT", "off"]);
    await same(t, r, ["CLIENT", "PAUSE", "abc"]);
    await same(t, r, ["CLIENT", "PAUSE", "10", "xx"]);
    await same(t, r, ["CLIENT", "PAUSE", "0"]);
    await same(t, r, ["CLIENT", "UNPAUSE"]);
    await same(t, r, ["CLIENT", "UNBLOCK", "x"]);
    await same(t, r, ["CLIENT", "UNBLOCK", "5", "foo"]);
    await same(t, r, ["CLIENT", "UNBLOCK", "99999"]);
    await same(t, r, ["CLIENT", "NOSUCH"]);
    await same(t, r, ["CLIENT"]);
    await same(t, r, ["CLIENT", "ID"], { shapeOnly: true });
  });

  it("CLIENT LIST and CLIENT INFO print Redis 7.0's fields in its order", async () => {
    await same(t, r, ["CLIENT", "SETNAME", "lister"]);
    await same(t, r, ["SELECT", "2"]);
    const [a, b] = await Promise.all([t.text("CLIENT", "INFO"), r.text("CLIENT", "INFO")]);
    assert.equal(clientLineShape(a), clientLineShape(b));
    const [la, lb] = await Promise.all([
      t.text("CLIENT", "LIST", "TYPE", "normal"),
      r.text("CLIENT", "LIST", "TYPE", "normal"),
    ]);
    assert.equal(clientLineShape(la), clientLineShape(lb));
    await same(t, r, ["SELECT", "0"]);
  });

  it("CLIENT REPLY OFF / SKIP / ON drop exactly the replies Redis drops", async () => {
    const cmds = [
      ["CLIENT", "REPLY", "SKIP"],
      ["PING", "1"],
      ["PING", "2"],
      ["CLIENT", "REPLY", "OFF"],
      ["PING", "3"],
      ["CLIENT", "REPLY", "ON"],
      ["PING", "4"],
    ];
    // The replies that do come: PING 2, +OK, PING 4.
    const want = ["$1\r\n2\r\n", "+OK\r\n", "$1\r\n4\r\n"];
    const wire = cmds
      .map((c) => `*${c.length}\r\n${c.map((x) => `$${x.length}\r\n${x}\r\n`).join("")}`)
      .join("");
    const [ta, rb] = await Promise.all([t.sendRaw(wire, 3), r.sendRaw(wire, 3)]);
    assert.deepEqual(rb.map(String), want);
    assert.deepEqual(ta.map(String), want);
  });

  it("TIME, COMMAND COUNT/INFO/LIST errors, CONFIG GET/SET", async () => {
    await same(t, r, ["TIME"], { shapeOnly: true });
    await same(t, r, ["TIME", "x"]);
    await same(t, r, ["COMMAND", "COUNT", "x"]);
    await same(t, r, ["COMMAND", "LIST", "FILTERBY", "PATTERN", "ech*"]);
    await same(t, r, ["COMMAND", "GETKEYS", "nosuch", "a"]);
    await same(t, r, ["COMMAND", "GETKEYS", "set", "a", "b"]);
    await same(t, r, ["COMMAND", "NOSUCH"]);
    await same(t, r, ["CONFIG", "GET", "maxclients"]);
    await same(t, r, ["CONFIG", "GET", "repl-backlog-size", "timeout"], { sortedPairs: true });
    await same(t, r, ["CONFIG", "GET", "slave-read-only"]);
    await same(t, r, ["CONFIG", "GET", "nosuch"]);
    await same(t, r, ["CONFIG", "SET", "timeout", "abc"]);
    await same(t, r, ["CONFIG", "SET", "nosuch", "1"]);
    await same(t, r, ["CONFIG", "SET", "timeout", "5", "timeout", "6"]);
    await same(t, r, ["CONFIG", "SET", "timeout", "5"]);
    await same(t, r, ["CONFIG", "GET", "timeout"]);
    await same(t, r, ["CONFIG", "SET", "timeout", "0"]);
    await same(t, r, ["CONFIG", "SET", "appendfsync", "sometimes"]);
    await same(t, r, ["CONFIG", "RESETSTAT"]);
    await same(t, r, ["CONFIG", "NOSUCH"]);
  });

  it("INFO prints Redis's sections and field names", async () => {
    await same(t, r, ["SET", "infokey", "1"]);
    const [a, b] = await Promise.all([t.text("INFO", "everything"), r.text("INFO", "everything")]);
    const ours = infoFields(a);
    const theirs = infoFields(b);
    for (const section of [
      "Server",
      "Clients",
      "Memory",
      "Persistence",
      "Stats",
      "Replication",
      "CPU",
      "Commandstats",
      "Keyspace",
    ]) {
      assert.ok(ours.has(section), `section ${section}`);
    }
    // Every field we print in these sections is a Redis field (Tandem adds only tandem_* fields and node_version).
    for (const [section, fields] of ours) {
      if (section === "Commandstats" || section === "Errorstats" || section === "Keyspace") continue;
      for (const f of fields) {
        if (f.startsWith("tandem_") || f === "node_version") continue;
        assert.ok(theirs.get(section)?.has(f), `INFO ${section} field ${f} is not Redis's`);
      }
    }
    for (const f of [
      "redis_version",
      "tcp_port",
      "uptime_in_seconds",
      "process_id",
      "run_id",
      "config_file",
    ]) {
      assert.ok(ours.get("Server")?.has(f), f);
    }
    for (const f of ["connected_clients", "blocked_clients", "maxclients"])
      assert.ok(ours.get("Clients")?.has(f), f);
    for (const f of ["used_memory", "used_memory_rss", "used_memory_peak", "maxmemory"])
      assert.ok(ours.get("Memory")?.has(f), f);
    for (const f of [
      "total_connections_received",
      "total_commands_processed",
      "instantaneous_ops_per_sec",
      "keyspace_hits",
    ]) {
      assert.ok(ours.get("Stats")?.has(f), f);
    }
    assert.match(a, /# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n/);
    assert.match(a, /cmdstat_set:calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n/);
    await same(t, r, ["INFO", "nosuchsection"]);
    await same(t, r, ["DEL", "infokey"]);
  });
});
