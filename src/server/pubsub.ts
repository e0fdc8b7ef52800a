import { globMatch } from "../command-table/glob-match.js";
import { type Client, ClientFlag } from "./client.js";

/**
 * Pub/sub registry (Redis's server.pubsub_channels / pubsub_patterns): channel → subscribers, pattern →
 * subscribers. Messages are written into each receiver's reply buffer; receivers are flushed together once
 * per event-loop turn (Redis's clients_pending_write), so one PUBLISH to many subscribers costs one write per
 * subscriber per turn, not per message.
 */
export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  /** Shard channels (SSUBSCRIBE/SPUBLISH): a namespace of their own, without patterns. */
  readonly shardChannels = new Map<string, Set<Client>>();
  private readonly pendingFlush = new Set<Client>();
  private flushScheduled = false;

  /** Subscription count of a client, as the replies report it. */
  static count(c: Client): number {
    return c.channels.size + c.patterns.size;
  }

  /** Whether any subscription of any kind is left (Redis's clientTotalPubSubSubscriptionCount). */
  private static updatePubsubFlag(c: Client): void {
    if (c.channels.size + c.patterns.size + c.shardChannels.size === 0) c.flags &= ~ClientFlag.PUBSUB;
  }

  // ─── subscribe / unsubscribe ─────────────────────────────────────────────────────────────────────────

  subscribe(c: Client, channel: string): void {
    if (!c.channels.has(channel)) {
      c.channels.add(channel);
      let set = this.channels.get(channel);
      if (!set) {
        set = new Set();
        this.channels.set(channel, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PUBSUB;
    this.replySubscription(c, "subscribe", channel);
  }

  unsubscribe(c: Client, channel: string, notify: boolean): void {
    if (c.channels.delete(channel)) {
      const set = this.channels.get(channel);
      set?.delete(c);
      if (set?.size === 0) this.channels.delete(channel);
    }
    PubSub.updatePubsubFlag(c);
    if (notify) this.replySubscription(c, "unsubscribe", channel);
  }

  psubscribe(c: Client, pattern: string): void {
    if (!c.patterns.has(pattern)) {
      c.patterns.add(pattern);
      let set = this.patterns.get(pattern);
      if (!set) {
        set = new Set();
        this.patterns.set(pattern, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PUBSUB;
    this.replySubscription(c, "psubscribe", pattern);
  }

  punsubscribe(c: Client, pattern: string, notify: boolean): void {
    if (c.patterns.delete(pattern)) {
      const set = this.patterns.get(pattern);
      set?.delete(c);
      if (set?.size === 0) this.patterns.delete(pattern);
    }
    PubSub.updatePubsubFlag(c);
    if (notify) this.replySubscription(c, "punsubscribe", pattern);
  }

  ssubscribe(c: Client, channel: string): void {
    if (!c.shardChannels.has(channel)) {
      c.shardChannels.add(channel);
      let set = this.shardChannels.get(channel);
      if (!set) {
        set = new Set();
        this.shardChannels.set(channel, set);
      }
      set.add(c);
    }
    c.flags |= ClientFlag.PUBSUB;
    this.replySubscription(c, "ssubscribe", channel, c.shardChannels.size);
  }

  sunsubscribe(c: Client, channel: string, notify: boolean): void {
    if (c.shardChannels.delete(channel)) {
      const set = this.shardChannels.get(channel);
      set?.delete(c);
      if (set?.size === 0) this.shardChannels.delete(channel);
    }
    PubSub.updatePubsubFlag(c);
    if (notify) this.replySubscription(c, "sunsubscribe", channel, c.shardChannels.size);
  }

  /** Drops every subscription of a client (disconnect, RESET) without replies. */
  removeClient(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch, false);
    for (const p of [...c.patterns]) this.punsubscribe(c, p, false);
    for (const ch of [...c.shardChannels]) this.sunsubscribe(c, ch, false);
  }

  /** (Un)subscription confirmations count the client's channels and patterns, or its shard channels. */
  private replySubscription(c: Client, kind: string, name: string | null, count = PubSub.count(c)): void {
    c.beginPush();
    c.reply.pushHeader(3);
    c.reply.bulk(kind);
    c.reply.bulkOrNull(name);
    c.reply.integer(count);
    c.endPush();
  }

  /** The reply to (P|S)UNSUBSCRIBE with no arguments when nothing is subscribed. */
  replyNothingToUnsubscribe(c: Client, kind: "unsubscribe" | "punsubscribe" | "sunsubscribe"): void {
    this.replySubscription(c, kind, null, kind === "sunsubscribe" ? 0 : PubSub.count(c));
  }

  // ─── publish ─────────────────────────────────────────────────────────────────────────────────────────

  /** Delivers a message; returns the number of receivers (pattern matches count once per pattern). */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.beginPush();
        c.reply.pushHeader(3);
        c.reply.bulk("message");
        c.reply.bulk(channel);
        c.reply.bulk(message);
        c.endPush();
        this.queueFlush(c);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const c of clients) {
          c.beginPush();
          c.reply.pushHeader(4);
          c.reply.bulk("pmessage");
          c.reply.bulk(pattern);
          c.reply.bulk(channel);
          c.reply.bulk(message);
          c.endPush();
          this.queueFlush(c);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** SPUBLISH: shard channel subscribers only (no patterns), each gets an `smessage`. */
  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (!subs) return 0;
    for (const c of subs) {
      c.beginPush();
      c.reply.pushHeader(3);
      c.reply.bulk("smessage");
      c.reply.bulk(channel);
      c.reply.bulk(message);
      c.endPush();
      this.queueFlush(c);
    }
    return subs.size;
  }

  private queueFlush(c: Client): void {
    this.pendingFlush.add(c);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const p of this.pendingFlush) p.flush();
      this.pendingFlush.clear();
    });
  }
}
