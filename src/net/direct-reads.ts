import { Socket } from "node:net";

/**
 * Direct reads for accepted connections: the kernel reads a client's bytes straight into one buffer shared
 * by every such connection, and a callback gets (buffer, length) — net.Socket's `onread` option — instead
 * of a fresh Buffer per read pushed through a Readable and emitted as 'data'.
 *
 * Why: a request-per-read client (no pipelining) pays that stream machinery once per request. Measured with
 * redis-benchmark -c 50 against a trivial PONG server on the 2-core benchmark machine: 19.2 µs of CPU per
 * request with 'data' events, 16.5 µs with `onread` (see BENCHMARKS.md, proxy section).
 *
 * The contract that makes one shared buffer safe: the callback consumes the bytes before it returns. The
 * bytes are overwritten by the next read of any connection, so whatever a consumer keeps past the callback
 * it copies (`isSharedReadBuffer` tells it whether a buffer it was handed is this one).
 *
 * `onread` is public API, but only for sockets the program creates; a server's accepted socket is built by
 * Node. So the accepted socket, created paused (`pauseOnConnect`), is re-wrapped: a new net.Socket takes
 * its handle with `onread` set, and the server's connection count moves to it. Where the runtime does not
 * expose what this needs, `adoptWithDirectReads` returns null and the caller keeps the socket as it is.
 */

/** Larger than a typical request burst, smaller than a socket receive buffer: one read per wake-up. */
const READ_BUFFER_SIZE = 64 * 1024;
const sharedReadBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);

export function isSharedReadBuffer(buf: Buffer): boolean {
  return buf === sharedReadBuffer;
}

/** The size of the largest frame that can come straight out of the shared buffer. */
export const SHARED_READ_BUFFER_SIZE = READ_BUFFER_SIZE;

export type DirectReadCallback = (buf: Buffer, length: number) => void;

interface SocketInternals {
  _handle?: { useUserBuffer?: unknown } | null;
  _server?: unknown;
  server?: unknown;
}

/**
 * Re-wraps an accepted socket (from a server created with `pauseOnConnect: true`) so its reads go to
 * `onBytes` through the shared buffer. Returns the new socket, or null if the runtime does not allow it
 * (then the accepted socket is untouched and still paused).
 */
export function adoptWithDirectReads(accepted: Socket, onBytes: DirectReadCallback): Socket | null {
  const old = accepted as unknown as SocketInternals;
  const handle = old._handle;
  if (handle == null || typeof handle.useUserBuffer !== "function") return null;
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: sharedReadBuffer,
      callback: (length: number, buf: Uint8Array) => {
        onBytes(buf as Buffer, length);
      },
    },
  } as ConstructorParameters<typeof Socket>[0] & { handle: unknown });
  // The abandoned socket must not count as an open connection of the server (server.close() waits for
  // the count to reach zero); the new one decrements it when it is destroyed.
  const adopted = socket as unknown as SocketInternals;
  adopted._server = old._server;
  adopted.server = old.server;
  old._server = null;
  return socket;
}
