import { encodeCommand } from "../../src/resp/reply-writer.js";

/**
 * Input generators and mutators shared by the fuzz targets. Everything is driven by one seeded `Rng`
 * (a number in [0, 1)), so a run is replayed exactly from its seed.
 */

export type Rng = () => number;

export function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[int(rng, xs.length)];
}

/** Bytes that exercise parsers: separators, type bytes, digits, signs, high bytes. */
const INTERESTING = Buffer.from("\r\n*$+-:_,#(!=%~|> 0123456789-\x00\xff\"'\\ \t");

export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng() < 0.5 ? INTERESTING[int(rng, INTERESTING.length)] : int(rng, 256);
  return b;
}

function randomArg(rng: Rng): string {
  const r = rng();
  if (r < 0.3) return String(int(rng, 2000) - 1000);
  if (r < 0.302) return "x".repeat(int(rng, 70_000)); // past the 64 KiB inline limit and big-arg sizes
  return randomBytes(rng, int(rng, 24)).toString("latin1");
}

/** A client command: mostly real command names so the server's handlers run, sometimes anything. */
export function randomCommand(rng: Rng, names: readonly string[]): string[] {
  const argv = [rng() < 0.9 ? pick(rng, names) : randomArg(rng)];
  const n = int(rng, 6);
  for (let i = 0; i < n; i++) argv.push(rng() < 0.5 ? `k${int(rng, 20)}` : randomArg(rng));
  return argv;
}

/** A request stream: multibulk commands and, now and then, inline ones. */
export function randomRequestStream(rng: Rng, names: readonly string[], count: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const argv = randomCommand(rng, names);
    if (rng() < 0.15)
      parts.push(Buffer.from(`${argv.map((a) => a.replace(/[\r\n"' ]/g, "_")).join(" ")}\r\n`, "latin1"));
    else parts.push(encodeCommand(argv));
  }
  return Buffer.concat(parts);
}

/** A RESP3 reply value's encoding, nested up to `depth`. */
export function randomReply(rng: Rng, depth: number): Buffer {
  const leaf = depth <= 0 || rng() < 0.55;
  if (leaf) {
    switch (int(rng, 11)) {
      case 0:
        return Buffer.from(
          `+${randomBytes(rng, int(rng, 10))
            .toString("latin1")
            .replace(/[\r\n]/g, "")}\r\n`,
          "latin1",
        );
      case 1:
        return Buffer.from(`-ERR ${int(rng, 100)}\r\n`);
      case 2:
        return Buffer.from(`:${int(rng, 1e9) - 5e8}\r\n`);
      case 3: {
        const s = randomBytes(rng, int(rng, 40));
        return Buffer.concat([Buffer.from(`$${s.length}\r\n`), s, Buffer.from("\r\n")]);
      }
      case 4:
        return Buffer.from("$-1\r\n");
      case 5:
        return Buffer.from("_\r\n");
      case 6:
        return Buffer.from(`,${(rng() * 1e6).toFixed(int(rng, 6))}\r\n`);
      case 7:
        return Buffer.from(rng() < 0.5 ? "#t\r\n" : "#f\r\n");
      case 8:
        return Buffer.from(`(${int(rng, 1e15)}${int(rng, 1e15)}\r\n`);
      case 9: {
        const s = randomBytes(rng, int(rng, 20));
        return Buffer.concat([Buffer.from(`=${s.length + 4}\r\ntxt:`), s, Buffer.from("\r\n")]);
      }
      default:
        return Buffer.from("*-1\r\n");
    }
  }
  const n = int(rng, 5);
  const kind = pick(rng, ["*", "~", ">", "%", "|"]);
  const items: Buffer[] = [Buffer.from(`${kind}${n}\r\n`)];
  const count = kind === "%" || kind === "|" ? 2 * n : n;
  for (let i = 0; i < count; i++) items.push(randomReply(rng, depth - 1));
  if (kind === "|") items.push(randomReply(rng, depth - 1)); // the attributed value
  return Buffer.concat(items);
}

/**
 * Mutates a valid input the ways parsers break: flipped and inserted bytes, cut ranges, lengths replaced
 * by huge, negative or malformed numbers, type bytes swapped, truncation, duplicated ranges.
 */
export function mutate(rng: Rng, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + int(rng, 4);
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = int(rng, b.length);
    switch (int(rng, 8)) {
      case 0:
        b[at] ^= 1 << int(rng, 8);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), randomBytes(rng, 1 + int(rng, 8)), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(rng, 16)))]);
        break;
      case 3: {
        // Replace the number after a length marker with something hostile.
        const m = b.indexOf(pick(rng, ["*", "$", "%", "~", ">", "|"]), at);
        if (m < 0) break;
        const nl = b.indexOf("\r", m);
        if (nl < 0) break;
        const n = pick(rng, [
          "-1",
          "-2",
          "-9999999999",
          "0",
          "1048577",
          "2147483648",
          "99999999999999999999",
          "9007199254740993",
          "+5",
          "05",
          "",
          "1e3",
          " 3",
          "\x00",
        ]);
        b = Buffer.concat([b.subarray(0, m + 1), Buffer.from(n, "latin1"), b.subarray(nl)]);
        break;
      }
      case 4:
        b[at] = INTERESTING[int(rng, INTERESTING.length)];
        break;
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const len = int(rng, 64);
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]);
        break;
      }
      default: {
        // Deep nesting: a run of aggregate headers.
        const depth = 1 + int(rng, 2000);
        b = Buffer.concat([b.subarray(0, at), Buffer.from("*1\r\n".repeat(depth)), b.subarray(at)]);
      }
    }
  }
  return b;
}

/** Splits `b` at random positions (feeding byte by byte now and then). */
export function randomSplits(rng: Rng, b: Buffer): Buffer[] {
  if (rng() < 0.05 && b.length < 4096) return [...b].map((x) => Buffer.from([x]));
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < b.length) {
    const n = 1 + int(rng, rng() < 0.5 ? 16 : 4096);
    out.push(b.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}
