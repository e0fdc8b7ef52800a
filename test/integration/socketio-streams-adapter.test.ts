import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createAdapter } from "@socket.io/redis-streams-adapter";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { Server, type Socket as ServerSocket } from "socket.io";
import { type Socket as ClientSocket, io as connectClient } from "socket.io-client";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait-for.js";

/**
 * @socket.io/redis-streams-adapter: two socket.io servers sharing one `tandem server`. Broadcasts travel
 * through a stream (XADD MAXLEN ~, read back with XREAD BLOCK), requests between servers (fetchSockets,
 * serverSideEmit, serverCount) through pub/sub — classic and sharded (SPUBLISH, SSUBSCRIBE, PUBSUB
 * SHARDNUMSUB) — and connection state recovery through SET PX, MULTI GET/DEL and XRANGE. The same suite
 * runs against Debian's redis-server, so a failure on Tandem alone points at Tandem; and through both
 * clients the adapter supports, ioredis (RESP2) and node-redis (RESP3).
 */

type Kind = "tandem" | "redis";

const TIMEOUT = 20_000;

/** Resolves with the first `event` the socket receives, or rejects after `ms`. */
function nextEvent<T = unknown>(socket: ClientSocket, event: string, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}" on client ${socket.id}`));
    }, ms);
    const onEvent = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    socket.once(event, onEvent);
  });
}

interface Node {
  io: Server;
  port: number;
  /** Closes the Redis client given to the adapter. */
  closeClient(): unknown;
}

/** The adapter supports both clients; node-redis speaks RESP3, ioredis RESP2. */
type Library = "ioredis" | "node-redis";

const VARIANTS: { library: Library; sharded: boolean }[] = [
  { library: "ioredis", sharded: false },
  { library: "ioredis", sharded: true },
  { library: "node-redis", sharded: false },
  { library: "node-redis", sharded: true },
];

for (const kind of ["tandem", "redis"] as Kind[]) {
  for (const { library, sharded } of VARIANTS) {
    describe(`socket.io redis-streams-adapter on ${kind === "tandem" ? "tandem server" : "redis-server"} via ${library}${sharded ? ", sharded pub/sub" : ""}`, {
      skip: kind === "redis" ? NO_REDIS : false,
    }, () => {
      let server: ServerProcess;
      let admin: Redis;
      const nodes: Node[] = [];
      const clients: ClientSocket[] = [];
      /** Messages each client received, by client name, in arrival order. */
      const inbox = new Map<string, unknown[]>();

      async function startNode(): Promise<Node> {
        let redis: unknown;
        let closeClient: () => unknown;
        if (library === "ioredis") {
          const client = new Redis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: null });
          redis = client;
          closeClient = () => client.disconnect();
        } else {
          const client = createClient({ socket: { host: "127.0.0.1", port: server.port } });
          client.on("error", () => {});
          await client.connect();
          redis = client;
          // close() lets commands still in flight (the adapter's goodbye XADD) finish first.
          closeClient = () => client.close();
        }
        const http = createServer();
        const io = new Server(http, {
          adapter: createAdapter(redis, { useShardedPubSub: sharded, blockTimeInMs: 1000 }),
          connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: true },
        });
        io.on("connection", (socket: ServerSocket) => {
          const room = socket.handshake.query.room;
          if (typeof room === "string" && room !== "") socket.join(room);
          socket.data.name = socket.handshake.query.name;
        });
        await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
        const node = { io, port: (http.address() as AddressInfo).port, closeClient };
        nodes.push(node);
        return node;
      }

      async function connect(node: Node, name: string, room = ""): Promise<ClientSocket> {
        const socket = connectClient(`http://127.0.0.1:${node.port}`, {
          transports: ["websocket"],
          query: { name, room },
          reconnectionDelay: 50,
          reconnectionDelayMax: 100,
        });
        clients.push(socket);
        inbox.set(name, []);
        socket.onAny((event: string, ...args: unknown[]) => {
          // The adapter appends the stream offset to broadcasts when state recovery is on: keep the payload.
          inbox.get(name)?.push([event, args[0]]);
        });
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", () => resolve());
          socket.once("connect_error", reject);
        });
        return socket;
      }

      /** Broadcast a sentinel from `node` and wait until every named client has it: all earlier broadcasts
       * from that node were then delivered (one stream, read in order), so what a client lacks it never got. */
      async function flush(node: Node, names: string[], tag: string): Promise<void> {
        node.io.emit("sentinel", tag);
        await waitFor(`sentinel ${tag} at ${names.join(", ")}`, () =>
          names.every((n) =>
            inbox.get(n)?.some((m) => JSON.stringify(m) === JSON.stringify(["sentinel", tag])),
          ),
        );
      }

      const received = (name: string, event: string) =>
        (inbox.get(name) ?? []).filter((m) => (m as unknown[])[0] === event).map((m) => (m as unknown[])[1]);

      let a: Node;
      let b: Node;

      before(async () => {
        server = kind === "tandem" ? await startTandem() : await startRedis();
        admin = new Redis({ host: "127.0.0.1", port: server.port });
        a = await startNode();
        b = await startNode();
        // Both adapters' pollers must be blocked in XREAD on "$" before a broadcast, or it is not theirs.
        await waitFor("both adapters blocked in XREAD", async () => {
          const list = (await admin.client("LIST")) as string;
          return (
            list.split("\n").filter((l) => / flags=\S*b\S* /.test(l) && / cmd=xread /.test(l)).length === 2
          );
        });
        await connect(a, "a1", "red");
        await connect(a, "a2", "blue");
        await connect(b, "b1", "red");
      });

      after(async () => {
        for (const c of clients) c.disconnect();
        for (const n of nodes) {
          await new Promise<void>((resolve) => n.io.close(() => resolve()));
          await n.closeClient();
        }
        // Closing the adapters lets each poller disconnect once its XREAD BLOCK returns (blockTimeInMs);
        // stopping the server before that would leave ioredis retrying the XREAD forever.
        if (admin)
          await waitFor(
            "the adapters' XREAD clients to disconnect",
            async () => !/ cmd=xread /.test((await admin.client("LIST")) as string),
          ).catch(() => {});
        admin?.disconnect();
        await server?.stop();
      });

      it("a broadcast emitted on server B reaches clients on servers A and B", {
        timeout: TIMEOUT,
      }, async () => {
        const atA = nextEvent(clients[0], "news");
        b.io.emit("news", { n: 1, text: "héllo" });
        assert.deepEqual(await atA, { n: 1, text: "héllo" });
        await flush(b, ["a1", "a2", "b1"], "t1");
        assert.deepEqual(received("a2", "news"), [{ n: 1, text: "héllo" }]);
        assert.deepEqual(received("b1", "news"), [{ n: 1, text: "héllo" }]);
        // The broadcast went through the stream: an XADD'ed entry of type 3 (BROADCAST) holding the packet.
        const entries = await admin.xrange("socket.io", "-", "+");
        const broadcasts = entries
          .map(([, fields]) =>
            Object.fromEntries(fields.flatMap((f, i) => (i % 2 ? [] : [[f, fields[i + 1]]]))),
          )
          .filter((f) => f.type === "3" && f.nsp === "/" && f.data.includes("héllo"));
        assert.equal(broadcasts.length, 1);
        assert.deepEqual(JSON.parse(broadcasts[0].data).packet.data, ["news", { n: 1, text: "héllo" }]);
      });

      it("room broadcasts and exclusions across servers", { timeout: TIMEOUT }, async () => {
        b.io.to("red").emit("room-msg", "to red");
        a.io.to("blue").emit("room-msg", "to blue from A");
        b.io.except("red").emit("except-msg", "not red");
        await flush(a, ["a1", "a2", "b1"], "t2");
        await flush(b, ["a1", "a2", "b1"], "t3");
        assert.deepEqual(received("a1", "room-msg"), ["to red"]);
        assert.deepEqual(received("b1", "room-msg"), ["to red"]);
        assert.deepEqual(received("a2", "room-msg"), ["to blue from A"]);
        assert.deepEqual(received("a2", "except-msg"), ["not red"]);
        assert.deepEqual(received("a1", "except-msg"), []);
        assert.deepEqual(received("b1", "except-msg"), []);
      });

      it("socketsJoin from server B puts a client of server A in a room", { timeout: TIMEOUT }, async () => {
        const a2 = clients[1];
        b.io.in(String(a2.id)).socketsJoin("late");
        // Ordered after the join on the same stream.
        b.io.to("late").emit("late-msg", 42);
        await flush(b, ["a1", "a2", "b1"], "t4");
        assert.deepEqual(received("a2", "late-msg"), [42]);
        assert.deepEqual(received("a1", "late-msg"), []);
        const inRoom = await a.io.in("late").fetchSockets();
        assert.deepEqual(
          inRoom.map((s) => s.id),
          [a2.id],
        );
      });

      it("server-to-server requests: serverCount, fetchSockets, serverSideEmit with ack", {
        timeout: TIMEOUT,
      }, async () => {
        assert.equal(await b.io.of("/").adapter.serverCount(), 2);
        const all = await b.io.fetchSockets();
        assert.deepEqual(all.map((s) => s.data.name).sort(), ["a1", "a2", "b1"]);
        const red = await b.io.in("red").fetchSockets();
        assert.deepEqual(red.map((s) => s.data.name).sort(), ["a1", "b1"]);
        a.io.on("ping-servers", (value: number, ack: (r: number) => void) => ack(value * 2));
        const replies = await b.io.serverSideEmitWithAck("ping-servers", 21);
        assert.deepEqual(replies, [42]);
      });

      it("connection state recovery: a client that lost its connection gets the missed broadcast", {
        timeout: TIMEOUT,
      }, async () => {
        const a1 = clients[0];
        const firstId = a1.id;
        // No automatic reconnection: a1 comes back only after the broadcast it must miss.
        a1.io.reconnection(false);
        const disconnected = new Promise<string>((resolve) =>
          a1.once("disconnect", (reason) => resolve(reason)),
        );
        const sessionsBefore = (await admin.keys("sio:session:*")).length;
        // An abrupt transport close (not a deliberate disconnect) makes server A keep the session.
        a1.io.engine.close();
        // The client closed its transport itself ("forced close"); server A sees a transport close.
        assert.equal(await disconnected, "forced close");
        await waitFor(
          "the session to be stored",
          async () => (await admin.keys("sio:session:*")).length > sessionsBefore,
        );
        // B broadcasts to a1's room while a1 is connected nowhere: only the stream keeps it.
        b.io.to("red").emit("missed", "while away");
        await flush(b, ["b1"], "t5");
        assert.deepEqual(received("a1", "missed"), []);
        const reconnected = new Promise<void>((resolve) => a1.once("connect", () => resolve()));
        a1.connect();
        await reconnected;
        assert.equal(
          a1.recovered,
          true,
          "server A restored the session (GETDEL of the key, XRANGE from the offset)",
        );
        assert.equal(a1.id, firstId, "the recovered session keeps its socket id");
        await waitFor("a1 to get the missed broadcast", () => received("a1", "missed").length === 1);
        assert.deepEqual(received("a1", "missed"), ["while away"]);
        // The session was read and deleted (MULTI GET DEL).
        assert.equal((await admin.keys("sio:session:*")).length, sessionsBefore);
      });
    });
  }
}
