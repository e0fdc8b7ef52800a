import { RespErrorReply, type RespValue } from "../resp/resp-value.js";
import { AdminError } from "./admin-client.js";

/**
 * The `PROXY BACKENDS` reply as `tandem status` prints it. Kept apart from the socket code so the parsing
 * and the layout can be tested on plain values.
 */

/**
 * One backend as PROXY BACKENDS describes it: field name → value as text (integers in decimal). Fields are
 * read by name, so a proxy that adds fields, or lacks some, still prints.
 */
export type BackendStatus = Readonly<Record<string, string>>;

interface Column {
  readonly title: string;
  readonly field: string;
  /** Numbers line up on the right. */
  readonly numeric: boolean;
}

/** The fields `tandem status` knows, in the order it prints them; REASON last as the one free-text column. */
const COLUMNS: readonly Column[] = [
  { title: "ADDRESS", field: "address", numeric: false },
  { title: "ROLE", field: "role", numeric: false },
  { title: "STATE", field: "state", numeric: false },
  { title: "OFFSET", field: "offset", numeric: true },
  { title: "LAG(B)", field: "lag_bytes", numeric: true },
  { title: "LAG(ms)", field: "lag_ms", numeric: true },
  { title: "IN-FLIGHT", field: "in_flight", numeric: true },
  { title: "BREAKER", field: "breaker", numeric: false },
  { title: "ELIGIBLE", field: "eligible", numeric: false },
  { title: "DRAIN", field: "drain", numeric: false },
  { title: "REASON", field: "reason", numeric: false },
];

/** Shown for a field the proxy did not send (an empty cell would shift the reader's eye to the next column). */
const MISSING = "-";

const GAP = "  ";

/**
 * The table: a header row and one row per backend, each column as wide as its widest cell, joined by two
 * spaces, trailing blanks trimmed, each line ending in "\n".
 */
export function formatBackendsTable(backends: readonly BackendStatus[]): string {
  const rows = [
    COLUMNS.map((c) => c.title),
    ...backends.map((b) =>
      COLUMNS.map((c) => {
        const v = b[c.field];
        // An empty reason means "eligible": nothing to say. Any other empty field is a missing value.
        return v === undefined || (v === "" && c.field !== "reason") ? MISSING : v;
      }),
    ),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map(
      (r) =>
        r
          .map((cell, i) => (COLUMNS[i].numeric ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
          .join(GAP)
          .trimEnd() + "\n",
    )
    .join("");
}

/** A field value as text; nested or odd values are shown rather than rejected. */
function fieldText(v: RespValue): string {
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  if (typeof v === "string" || typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") {
    return String(v);
  }
  if (v === null) return "";
  return JSON.stringify(v) ?? "";
}

function keyText(k: RespValue): string | null {
  if (Buffer.isBuffer(k)) return k.toString("utf8");
  return typeof k === "string" ? k : null;
}

/**
 * Parses the PROXY BACKENDS reply: an array with one element per backend, each a flat array of alternating
 * field names and values (a RESP3 map is accepted too). Throws an AdminError for an error reply (its text) or
 * for a reply of another shape.
 */
export function parseBackendsReply(reply: RespValue): BackendStatus[] {
  if (reply instanceof RespErrorReply) throw new AdminError(reply.message);
  if (!Array.isArray(reply)) throw new AdminError("unexpected reply to PROXY BACKENDS (not an array)");
  return reply.map((item, i) => {
    // No prototype: a field named "__proto__" or "toString" is just a field.
    const fields: Record<string, string> = Object.create(null);
    const pairs: [RespValue, RespValue][] = [];
    if (item instanceof Map) {
      pairs.push(...item.entries());
    } else if (Array.isArray(item) && item.length % 2 === 0) {
      for (let j = 0; j < item.length; j += 2) pairs.push([item[j], item[j + 1]]);
    } else {
      throw new AdminError(
        `unexpected reply to PROXY BACKENDS (backend #${i + 1} is not a list of field/value pairs)`,
      );
    }
    for (const [k, v] of pairs) {
      const key = keyText(k);
      if (key !== null) fields[key] = fieldText(v);
    }
    return fields;
  });
}
