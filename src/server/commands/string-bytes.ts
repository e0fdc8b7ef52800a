import { MUTABLE_STRING_MIN, MutableString } from "../../store/mutable-string.js";
import { STRING_RAW } from "../../store/object-encoding.js";
import type { StoredValue } from "../../store/redis-value.js";
import type { Client } from "../client.js";

export { lookupRawRead } from "./helpers.js";

/**
 * Byte-level access to string values for the commands that read or edit bytes (GETBIT, SETBIT, BITCOUNT,
 * BITPOS, BITFIELD, SETRANGE, GETRANGE, APPEND, STRLEN, the PF* family). A string value is either a JS
 * string or a MutableString (see store/mutable-string.ts); these helpers let a command work on bytes
 * without turning one form into the other when it does not have to.
 */

export type RawString = string | MutableString;

/** Shared buffers: the write scratch holds a small value while a command edits it (see `writableString`). */
const scratch = {
  write: new MutableString(Buffer.alloc(4096), 0),
  read: Buffer.alloc(64 * 1024),
};

export function isRawString(v: StoredValue): v is RawString {
  return typeof v === "string" || v instanceof MutableString;
}

/** The byte at `i` (which must be inside the value). */
export function byteAt(v: RawString, i: number): number {
  return typeof v === "string" ? v.charCodeAt(i) : v.buf[i];
}

/**
 * The value's bytes for reading, from index 0 to its length (the buffer may be longer). A MutableString
 * gives its own buffer; a JS string is copied, into a reused buffer when small. Valid until the next call.
 */
export function readBytes(v: RawString): Buffer {
  if (typeof v !== "string") return v.buf;
  if (v.length > scratch.read.length) return Buffer.from(v, "latin1");
  scratch.read.latin1Write(v, 0, v.length);
  return scratch.read;
}

/** The bytes [start, end) of the value as a JS string. */
export function rawSlice(v: RawString, start: number, end: number): string {
  return typeof v === "string" ? v.slice(start, end) : v.buf.latin1Slice(start, end);
}

/**
 * The string value `v` of `key` (already fetched with lookupRawWrite, or undefined when the key is
 * missing) as bytes to edit in place, zero-padded to at least `minLength` (Redis's sdsgrowzero in
 * lookupStringForBitCommand). A long value becomes (or stays) the MutableString stored under the key; a
 * short one is loaded into the shared scratch object, and `commitString` must then store it. Either way
 * call `commitString` when done.
 */
export function writableString(
  c: Client,
  key: string,
  v: RawString | undefined,
  minLength: number,
): MutableString {
  if (v instanceof MutableString) {
    v.growZero(minLength);
    return v;
  }
  const s = v ?? "";
  const len = Math.max(s.length, minLength);
  if (len < MUTABLE_STRING_MIN) {
    scratch.write.load(s, len);
    return scratch.write;
  }
  const ms = MutableString.from(s, len);
  ms.growZero(len);
  if (v === undefined) c.db.setKey(key, ms);
  else c.db.replaceRepresentation(key, ms);
  return ms;
}

/** Finishes an edit begun with `writableString`: a scratch-held value is stored under the key. */
export function commitString(c: Client, key: string, ms: MutableString): void {
  if (ms !== scratch.write) return;
  if (ms.length < MUTABLE_STRING_MIN) {
    c.db.setKey(key, ms.toString(), true);
    c.db.stringEncodings.set(key, STRING_RAW); // edited bytes: Redis holds them "raw"
    return;
  }
  // Grew past the threshold while edited (a HyperLogLog promoted to dense): the buffer is handed over.
  c.db.setKey(key, new MutableString(ms.buf, ms.length), true);
  scratch.write = new MutableString(Buffer.alloc(4096), 0);
}
