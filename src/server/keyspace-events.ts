import { Notify } from "./notify-flags.js";
import type { PubSub } from "./pubsub.js";

/**
 * Keyspace notifications (Redis's notify.c): `notify-keyspace-events` letters → classes, and the publisher
 * that sends `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` messages.
 */

const LETTERS: Record<string, number> = {
  g: Notify.GENERIC,
  $: Notify.STRING,
  l: Notify.LIST,
  s: Notify.SET,
  h: Notify.HASH,
  z: Notify.ZSET,
  x: Notify.EXPIRED,
  e: Notify.EVICTED,
  K: Notify.KEYSPACE,
  E: Notify.KEYEVENT,
  t: Notify.STREAM,
  m: Notify.KEY_MISS,
  d: Notify.MODULE,
  n: Notify.NEW,
};

/** "A" is the alias of "g$lshzxetd" (every class but key-miss and new). */
const ALL =
  Notify.GENERIC |
  Notify.STRING |
  Notify.LIST |
  Notify.SET |
  Notify.HASH |
  Notify.ZSET |
  Notify.EXPIRED |
  Notify.EVICTED |
  Notify.STREAM |
  Notify.MODULE;

/** Parses the config letters into class bits (validation happened in the config schema). */
export function keyspaceEventsFlags(letters: string): number {
  let flags = 0;
  for (const ch of letters) flags |= ch === "A" ? ALL : (LETTERS[ch] ?? 0);
  return flags;
}

/**
 * Returns the notifier for the current flags: a no-op when notifications are off (the common case, so
 * command handlers pay one indirect call and nothing else).
 */
export function makeKeyspaceNotifier(
  flags: number,
  pubsub: PubSub,
): (type: number, event: string, key: string, dbId: number) => void {
  if (!(flags & (Notify.KEYSPACE | Notify.KEYEVENT))) return () => {};
  return (type, event, key, dbId) => {
    if (!(flags & type)) return;
    if (flags & Notify.KEYSPACE) pubsub.publish(`__keyspace@${dbId}__:${key}`, event);
    if (flags & Notify.KEYEVENT) pubsub.publish(`__keyevent@${dbId}__:${event}`, key);
  };
}
