import { reprString } from "../resp/repr.js";
import { RespErrorReply, RespPush, type RespValue, RespVerbatim } from "../resp/resp-value.js";
import type { CliReply, NumericScalar } from "./cli-reply.js";

/**
 * How `tandem cli` prints a reply, following redis-cli 7.0's two formats:
 *
 * - "tty" (a terminal, or --no-raw): `OK`, `(integer) 1`, `(nil)`, bulk strings quoted with C-style
 *   escapes, `(error) ...`, aggregates numbered `1)` (maps `1#` with `key => value`, sets `1~`) and nested
 *   ones indented by the width of the parent's numbers.
 * - "raw" (stdout not a terminal, or --raw): payload bytes as they are, aggregate elements one per line,
 *   nothing at all for a nil; the caller ends the reply with a newline.
 *
 * Text is "binary" (latin1: one char per byte) in and out; write it with Buffer.from(text, "latin1").
 */
export type OutputMode = "tty" | "raw";

/** redis-cli 7.0 has no printer for a RESP3 big number: it reports its hiredis type number and exits 1. */
export class UnknownReplyType extends Error {
  constructor(readonly typeNumber: number) {
    super(`Unknown reply type: ${typeNumber}`);
    this.name = "UnknownReplyType";
  }
}

const BIGNUM_TYPE = 13;

/** The printed form of a reply; `verbatim` is redis-cli's raw form for INFO-like text, without the newline. */
export function formatReply(reply: CliReply, mode: OutputMode, verbatim = false): string {
  const numbers = new NumberCursor(reply.numbers);
  if (verbatim) return formatRaw(reply.value, numbers);
  if (mode === "tty") return formatTTY(reply.value, "", numbers);
  return `${formatRaw(reply.value, numbers)}\n`;
}

/** A client-tracking invalidation message (`-> invalidate: 'k1', 'k2'`), or null if `value` is not one. */
export function formatInvalidation(value: RespValue): string | null {
  if (!(value instanceof RespPush) || value.items.length !== 2) return null;
  const [kind, keys] = value.items;
  if (!Buffer.isBuffer(kind) || !kind.toString("latin1").startsWith("invalidate")) return null;
  if (!Array.isArray(keys)) return null;
  const names = keys.map((k) => `'${Buffer.isBuffer(k) ? k.toString("latin1") : String(k)}'`);
  return `-> invalidate: ${names.join(", ")}\n`;
}

/** C-style quoting of a byte string as redis-cli prints bulk strings: "a\"b\n\x00" (Redis's sdscatrepr). */
export function quoteBytes(bytes: Buffer): string {
  return reprString(bytes.toString("latin1"));
}

/** Hands out the frame's numeric scalars in order (see cli-reply.ts). */
class NumberCursor {
  private i = 0;
  constructor(private readonly list: readonly NumericScalar[]) {}

  /** The next number's printed text, in "tty" form (`(integer) 1`, `(double) 1.5`) or bare. */
  take(value: number | bigint, tty: boolean): string {
    const tag = this.list[this.i++];
    if (tag?.type === "(") throw new UnknownReplyType(BIGNUM_TYPE);
    if (tag?.type === ",") return tty ? `(double) ${tag.text}` : tag.text;
    return tty ? `(integer) ${String(value)}` : String(value);
  }
}

type Aggregate = { kind: "array" | "set" | "push" | "map"; items: RespValue[] };

function aggregate(v: RespValue): Aggregate | null {
  if (Array.isArray(v)) return { kind: "array", items: v };
  if (v instanceof RespPush) return { kind: "push", items: v.items };
  if (v instanceof Set) return { kind: "set", items: [...v] };
  if (v instanceof Map) {
    const items: RespValue[] = [];
    for (const [k, val] of v) items.push(k, val);
    return { kind: "map", items };
  }
  return null;
}

/** True when the tty form of `v` takes more than one line (a map's value then starts on a new line). */
function isMultiline(v: RespValue): boolean {
  const agg = aggregate(v);
  if (agg === null || agg.items.length === 0) return false;
  if (agg.kind === "map") return agg.items.length > 2 || isMultiline(agg.items[1]);
  return agg.items.length > 1 || isMultiline(agg.items[0]);
}

const EMPTY: Record<Aggregate["kind"], string> = {
  array: "(empty array)\n",
  map: "(empty hash)\n",
  set: "(empty set)\n",
  push: "(empty push)\n",
};

const NUMBER_SIGN: Record<Aggregate["kind"], string> = { array: ")", push: ")", set: "~", map: "#" };

function formatTTY(v: RespValue, prefix: string, numbers: NumberCursor): string {
  if (v === null) return "(nil)\n";
  if (typeof v === "boolean") return v ? "(true)\n" : "(false)\n";
  if (typeof v === "number" || typeof v === "bigint") return `${numbers.take(v, true)}\n`;
  if (typeof v === "string") return `${v}\n`;
  if (Buffer.isBuffer(v)) return `${quoteBytes(v)}\n`;
  if (v instanceof RespErrorReply) return `(error) ${v.message}\n`;
  if (v instanceof RespVerbatim) return `${v.text.toString("latin1")}\n`;
  const agg = aggregate(v);
  if (agg === null) return "";
  if (agg.items.length === 0) return EMPTY[agg.kind];
  const count = agg.kind === "map" ? agg.items.length / 2 : agg.items.length;
  const width = String(count).length;
  const inner = prefix + " ".repeat(width + 2);
  const sign = NUMBER_SIGN[agg.kind];
  let out = "";
  for (let i = 0; i < agg.items.length; i++) {
    const index = agg.kind === "map" ? i / 2 + 1 : i + 1;
    // The first entry's number follows whatever the caller already printed on this line.
    out += `${i === 0 ? "" : prefix}${String(index).padStart(width)}${sign} `;
    out += formatTTY(agg.items[i], inner, numbers);
    if (agg.kind === "map") {
      i++;
      out = `${out.slice(0, -1)} => `;
      if (isMultiline(agg.items[i])) out += `\n${inner}`;
      out += formatTTY(agg.items[i], inner, numbers);
    }
  }
  return out;
}

function formatRaw(v: RespValue, numbers: NumberCursor): string {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? "(true)" : "(false)";
  if (typeof v === "number" || typeof v === "bigint") return numbers.take(v, false);
  if (typeof v === "string") return v;
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  if (v instanceof RespErrorReply) return `${v.message}\n`;
  if (v instanceof RespVerbatim) return v.text.toString("latin1");
  const agg = aggregate(v);
  if (agg === null) return "";
  const parts: string[] = [];
  if (agg.kind === "map") {
    for (let i = 0; i < agg.items.length; i += 2) {
      const key = formatRaw(agg.items[i], numbers);
      parts.push(`${key} ${formatRaw(agg.items[i + 1], numbers)}`);
    }
  } else {
    for (const item of agg.items) parts.push(formatRaw(item, numbers));
  }
  return parts.join("\n");
}
