import type { ConnectionOptions } from "node:tls";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { SentinelSettings } from "../config/proxy-config.js";

/**
 * The proxy's view of a Redis Sentinel deployment (`sentinel:` in proxy.yaml).
 *
 * - Resolving: `SENTINEL get-master-addr-by-name <name>` and `SENTINEL replicas <name>`, asked of the
 *   sentinels in turn (starting with the last one that answered) until one knows the master.
 * - Following: every sentinel's `+switch-master`, `+convert-to-slave`, `+slave`, `+sdown`/`-sdown` and
 *   `+failover-end` events trigger a new resolution, and so does every (re)connection to a sentinel and a
 *   timer every RESOLVE_EVERY_MS: events only make the proxy faster, a lost event never leaves it wrong.
 *
 * What it reports goes to `onTopology`; the proxy confirms a new master's role itself (by polling it)
 * before it sends writes there.
 */

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface SentinelTopology {
  readonly master: NodeAddress;
  readonly replicas: readonly NodeAddress[];
}

const RESOLVE_EVERY_MS = 1000;
const EVENTS = ["+switch-master", "+convert-to-slave", "+slave", "+sdown", "-sdown", "+failover-end"];

export class SentinelWatcher {
  private readonly clients: Redis[];
  private readonly subscribers: Redis[] = [];
  private timer: NodeJS.Timeout | null = null;
  private resolving: Promise<SentinelTopology | null> | null = null;
  private again = false;
  private preferred = 0;
  private stopped = false;
  /** The last topology reported, as text, so only changes are reported. */
  private last = "";

  constructor(
    private readonly settings: SentinelSettings,
    private readonly log: Logger,
    private readonly connectTimeoutMs: number,
    private readonly onTopology: (t: SentinelTopology, why: string) => void = () => {},
    /** TLS options for the sentinel links (`sentinel.tls` with `backend_tls:`), null for plain TCP. */
    private readonly tls: ConnectionOptions | null = null,
  ) {
    this.clients = settings.addresses.map((a) => this.client(a));
  }

  private client(a: NodeAddress, subscriber = false): Redis {
    const c = new Redis({
      host: a.host,
      port: a.port,
      password: this.settings.password || undefined,
      enableOfflineQueue: subscriber,
      maxRetriesPerRequest: subscriber ? null : 0,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: subscriber ? undefined : this.connectTimeoutMs,
      retryStrategy: () => 500,
      lazyConnect: false,
      connectionName: subscriber ? "tandem-proxy-sentinel-events" : "tandem-proxy-sentinel",
      tls: this.tls ?? undefined,
    });
    c.on("error", () => {}); // an unreachable sentinel is skipped; the others answer
    return c;
  }

  /** Starts following: subscribes to every sentinel's events and resolves periodically. */
  follow(): void {
    for (const a of this.settings.addresses) {
      const sub = this.client(a, true);
      this.subscribers.push(sub);
      sub.on("ready", () => {
        void sub.subscribe(...EVENTS).catch(() => {});
        this.resolveSoon(`connected to sentinel ${a.host}:${a.port}`);
      });
      sub.on("message", (channel: string, message: string) => {
        // Instance events end with "@ <master-name> <ip> <port>"; +switch-master starts with the name.
        const words = message.split(" ");
        const about = channel === "+switch-master" ? words[0] : words[words.indexOf("@") + 1];
        if (about === this.settings.masterName) this.resolveSoon(`sentinel event ${channel} ${message}`);
      });
    }
    this.timer = setInterval(() => this.resolveSoon(""), RESOLVE_EVERY_MS);
  }

  /** Resolves now (or once more after the resolution in progress); reports changes to onTopology. */
  resolveSoon(why: string): void {
    if (this.stopped) return;
    if (this.resolving !== null) {
      this.again = true;
      return;
    }
    this.resolving = this.resolve().then((t) => {
      this.resolving = null;
      if (t !== null) {
        const text = `${t.master.host}:${t.master.port} ${t.replicas.map((r) => `${r.host}:${r.port}`).join(" ")}`;
        if (text !== this.last) {
          this.last = text;
          this.onTopology(t, why || "periodic sentinel check");
        }
      }
      if (this.again) {
        this.again = false;
        this.resolveSoon(why);
      }
      return t;
    });
  }

  /** Asks the sentinels in turn; null when none of them knows the master right now. */
  async resolve(): Promise<SentinelTopology | null> {
    const n = this.clients.length;
    for (let i = 0; i < n && !this.stopped; i++) {
      const k = (this.preferred + i) % n;
      const c = this.clients[k];
      if (c.status !== "ready") continue;
      try {
        const name = this.settings.masterName;
        const addr = (await c.call("SENTINEL", "get-master-addr-by-name", name)) as string[] | null;
        if (!Array.isArray(addr) || addr.length !== 2) continue;
        const replicas = parseReplicas((await c.call("SENTINEL", "replicas", name)) as unknown[]);
        this.preferred = k;
        const master = { host: addr[0], port: Number(addr[1]) };
        return {
          master,
          replicas: replicas.filter((r) => r.host !== master.host || r.port !== master.port),
        };
      } catch {
        // the next sentinel may know
      }
    }
    return null;
  }

  /** Resolves until a sentinel answers (startup); logs every failed round. */
  async resolveUntilFound(): Promise<SentinelTopology> {
    for (;;) {
      const t = await this.resolve();
      if (t !== null) return t;
      if (this.stopped) throw new Error("stopped");
      this.log.warn(
        { masterName: this.settings.masterName, sentinels: this.settings.addresses.map(label) },
        "no sentinel knows the master yet; retrying",
      );
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const c of [...this.clients, ...this.subscribers]) c.disconnect();
  }
}

function label(a: NodeAddress): string {
  return `${a.host}:${a.port}`;
}

/**
 * `SENTINEL replicas` → addresses. Each entry is a flat field/value array (ip, port, flags, …). Every
 * replica Sentinel lists is kept, down ones included: the lag monitor keeps them from serving reads, and
 * they serve again when they return.
 */
export function parseReplicas(reply: unknown[]): NodeAddress[] {
  const out: NodeAddress[] = [];
  if (!Array.isArray(reply)) return out;
  for (const entry of reply) {
    if (!Array.isArray(entry)) continue;
    let ip = "";
    let port = 0;
    for (let i = 0; i + 1 < entry.length; i += 2) {
      if (entry[i] === "ip") ip = String(entry[i + 1]);
      else if (entry[i] === "port") port = Number(entry[i + 1]);
    }
    if (ip !== "" && port > 0) out.push({ host: ip, port });
  }
  return out;
}
