import { globMatch } from "../../command-table/glob-match.js";
import { type Client, ClientFlag } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { replyHelp } from "./helpers.js";

/**
 * Pub/sub commands. Replies to (UN)SUBSCRIBE are pushes (RESP3 `>`, arrays in RESP2); PUBLISH is also
 * propagated to replicas (not to the AOF), as Redis does, so subscribers of replicas get the messages.
 */

function subscribeCommand(c: Client, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) c.server.pubsub.subscribe(c, argv[i]);
}

function unsubscribeCommand(c: Client, argv: string[]): void {
  const ps = c.server.pubsub;
  if (argv.length === 1) {
    if (c.channels.size === 0) ps.replyNothingToUnsubscribe(c, "unsubscribe");
    for (const ch of [...c.channels]) ps.unsubscribe(c, ch, true);
    return;
  }
  for (let i = 1; i < argv.length; i++) ps.unsubscribe(c, argv[i], true);
}

function psubscribeCommand(c: Client, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) c.server.pubsub.psubscribe(c, argv[i]);
}

function punsubscribeCommand(c: Client, argv: string[]): void {
  const ps = c.server.pubsub;
  if (argv.length === 1) {
    if (c.patterns.size === 0) ps.replyNothingToUnsubscribe(c, "punsubscribe");
    for (const p of [...c.patterns]) ps.punsubscribe(c, p, true);
    return;
  }
  for (let i = 1; i < argv.length; i++) ps.punsubscribe(c, argv[i], true);
}

function publishCommand(c: Client, argv: string[]): void {
  const n = c.server.pubsub.publish(argv[1], argv[2]);
  c.server.propagator.add(c.db.id, argv, true);
  c.reply.integer(n);
}

function pubsubChannels(c: Client, argv: string[]): void {
  const pattern = argv[2];
  const out: string[] = [];
  for (const ch of c.server.pubsub.channels.keys()) {
    if (pattern === undefined || globMatch(pattern, ch)) out.push(ch);
  }
  c.reply.bulkArray(out);
}

/**
 * A flat [channel, count, ...] array in RESP3 too: Redis 7.0 does not send NUMSUB (or SHARDNUMSUB) as a
 * map, and clients index the reply as an array (the socket.io streams adapter's serverCount through
 * node-redis, which speaks RESP3, reads element 1).
 */
function pubsubNumsub(c: Client, argv: string[]): void {
  c.reply.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.reply.bulk(argv[i]);
    c.reply.integer(c.server.pubsub.channels.get(argv[i])?.size ?? 0);
  }
}

function pubsubNumpat(c: Client): void {
  c.reply.integer(c.server.pubsub.patterns.size);
}

// ─── sharded pub/sub (a standalone Redis 7.0 serves it too: every shard channel is local) ───────────

function ssubscribeCommand(c: Client, argv: string[]): void {
  // Redis's CLIENT_DENY_BLOCKING (set inside MULTI): a transaction expects one reply per command.
  if (c.flags & ClientFlag.MULTI) {
    c.reply.error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    return;
  }
  for (let i = 1; i < argv.length; i++) c.server.pubsub.ssubscribe(c, argv[i]);
}

function sunsubscribeCommand(c: Client, argv: string[]): void {
  const ps = c.server.pubsub;
  if (argv.length === 1) {
    if (c.shardChannels.size === 0) ps.replyNothingToUnsubscribe(c, "sunsubscribe");
    for (const ch of [...c.shardChannels]) ps.sunsubscribe(c, ch, true);
    return;
  }
  for (let i = 1; i < argv.length; i++) ps.sunsubscribe(c, argv[i], true);
}

/** SPUBLISH reaches the replicas like PUBLISH (Redis's forceCommandPropagation with PROPAGATE_REPL). */
function spublishCommand(c: Client, argv: string[]): void {
  const n = c.server.pubsub.spublish(argv[1], argv[2]);
  c.server.propagator.add(c.db.id, argv, true);
  c.reply.integer(n);
}

function pubsubShardChannels(c: Client, argv: string[]): void {
  const pattern = argv[2];
  const out: string[] = [];
  for (const ch of c.server.pubsub.shardChannels.keys()) {
    if (pattern === undefined || globMatch(pattern, ch)) out.push(ch);
  }
  c.reply.bulkArray(out);
}

/** A flat array in RESP3 too, as NUMSUB. */
function pubsubShardNumsub(c: Client, argv: string[]): void {
  c.reply.arrayHeader((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    c.reply.bulk(argv[i]);
    c.reply.integer(c.server.pubsub.shardChannels.get(argv[i])?.size ?? 0);
  }
}

function pubsubHelp(c: Client, argv: string[]): void {
  replyHelp(c, argv[0], [
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
  ]);
}

export const pubsubCommands: CommandDef[] = [
  { name: "subscribe", handler: subscribeCommand },
  { name: "unsubscribe", handler: unsubscribeCommand },
  { name: "psubscribe", handler: psubscribeCommand },
  { name: "punsubscribe", handler: punsubscribeCommand },
  { name: "publish", handler: publishCommand },
  { name: "ssubscribe", handler: ssubscribeCommand },
  { name: "sunsubscribe", handler: sunsubscribeCommand },
  { name: "spublish", handler: spublishCommand },
  {
    name: "pubsub",
    subcommands: {
      channels: pubsubChannels,
      numsub: pubsubNumsub,
      numpat: pubsubNumpat,
      shardchannels: pubsubShardChannels,
      shardnumsub: pubsubShardNumsub,
      help: pubsubHelp,
    },
  },
];
