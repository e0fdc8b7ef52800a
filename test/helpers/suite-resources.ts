import { after } from "node:test";
import type { RawClient } from "./raw-client.js";

/**
 * What a suite starts — servers, proxies, clients — registered as it starts them, then closed and stopped
 * by one `after` hook. Call it where the suite's hooks go (inside describe, or at a file's top level).
 */
export interface SuiteResources {
  /** Registers a started process (anything with stop()) and returns it. */
  track<T extends { stop(): Promise<void> }>(process: T): T;
  /** A new client of `server`, closed when the suite ends. */
  client(server: { client(): Promise<RawClient> }): Promise<RawClient>;
}

export function suiteResources(): SuiteResources {
  const processes: { stop(): Promise<void> }[] = [];
  const clients: RawClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(processes.map((p) => p.stop()));
  });
  return {
    track(process) {
      processes.push(process);
      return process;
    },
    async client(server) {
      const c = await server.client();
      clients.push(c);
      return c;
    },
  };
}
