import { createServer, type Server } from "node:net";

/** An ephemeral loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0 }, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be bound on loopback now (the server is returned open, or null). */
export function listenOn(port: number): Promise<Server | null> {
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(null));
    s.listen({ host: "127.0.0.1", port }, () => res(s));
  });
}

/**
 * A `tandem up --port-offset` whose ports (6379, 6380, 6381, 7379 and the admin listener's 7380, each
 * + offset) are all free now.
 */
export async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 20000 + Math.floor(Math.random() * 20000);
    const held = await Promise.all([6379, 6380, 6381, 7379, 7380].map((p) => listenOn(p + offset)));
    await Promise.all(held.map((s) => s && new Promise((r) => s.close(r))));
    if (held.every((s) => s !== null)) return offset;
  }
  throw new Error("no free port offset");
}
