import type { RawClient } from "./raw-client.js";
import { waitFor } from "./wait-for.js";

/** Reading INFO over a RawClient, shared by every test that looks at a server's state. */

/** The `field:value` pairs of one INFO section, in order. */
export async function infoSection(c: RawClient, section: string): Promise<[string, string][]> {
  const v = await c.call("INFO", section);
  const text = Buffer.isBuffer(v) ? v.toString("latin1") : String(v);
  const out: [string, string][] = [];
  for (const line of text.split("\r\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.indexOf(":");
    out.push([line.slice(0, i), line.slice(i + 1)]);
  }
  return out;
}

export async function infoField(c: RawClient, section: string, field: string): Promise<string | undefined> {
  const fields = await infoSection(c, section);
  return fields.find(([k]) => k === field)?.[1];
}

/** Waits until the server counts `n` blocked clients, so the next write happens after they queued. */
export async function waitBlockedClients(c: RawClient, n: number): Promise<void> {
  await waitFor(
    `${n} blocked clients`,
    async () => (await infoField(c, "clients", "blocked_clients")) === String(n),
  );
}
