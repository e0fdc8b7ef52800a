import { closeSync, createReadStream, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Durable file writes for dumps: bytes go to a temp file in the target's directory, which is fsynced,
 * renamed over the target, and the directory fsynced, so a crash leaves either the old or the new file,
 * never a torn one (Redis's rdbSave does the same with temp-<pid>.rdb).
 */

function tempPath(target: string, tag: string): string {
  return join(dirname(target), `temp-${tag}-${process.pid}.rdb`);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself already happened.
  }
}

/** Writes the chunks to `target` atomically; resolves with the byte count. */
export async function writeFileAtomic(
  target: string,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  tag = "bg",
): Promise<number> {
  const tmp = tempPath(target, tag);
  const fh = await open(tmp, "w");
  let bytes = 0;
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const ch of chunks) {
      batch.push(ch);
      batchBytes += ch.length;
      if (batchBytes >= 1 << 20) {
        await fh.writev(batch);
        bytes += batchBytes;
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) {
      await fh.writev(batch);
      bytes += batchBytes;
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  await fh.close();
  renameSync(tmp, target);
  fsyncDir(dirname(target));
  return bytes;
}

/** The synchronous variant (SAVE, shutdown). */
export function writeFileAtomicSync(target: string, chunks: Iterable<Buffer>, tag = "fg"): number {
  const tmp = tempPath(target, tag);
  const fd = openSync(tmp, "w");
  let bytes = 0;
  try {
    for (const ch of chunks) {
      let off = 0;
      while (off < ch.length) off += writeSync(fd, ch, off, ch.length - off);
      bytes += ch.length;
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, target);
  fsyncDir(dirname(target));
  return bytes;
}

/** A file as an async stream of chunks (for the streaming loader). */
export function readFileChunks(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
}
