import { getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import { REDIS_COMPAT_VERSION } from "../info.js";

/**
 * LOLWUT's output for a version string, as Redis 7.0 picks it: version 5 draws Georg Nees's "Schotter" in
 * Braille characters, version 6 a city skyline in terminal colors, every other version (7.0 itself by
 * default) prints "Redis ver. <version>". Randomness uses Math.random where Redis uses rand(); with two
 * rows of squares or fewer, Schotter has none and matches redis-server exactly. Floats are rounded to
 * single precision where Redis computes in `float`.
 *
 * Returns null after replying with an error (a non-integer argument).
 */
export function lolwut(c: Client, version: string, args: string[]): string | null {
  const v = version;
  if ((v[0] === "5" && v[1] === "." && v[2] !== "9") || (v[0] === "4" && v[1] === "." && v[2] === "9")) {
    return lolwut5(c, args);
  }
  if ((v[0] === "6" && v[1] === "." && v[2] !== "9") || (v[0] === "5" && v[1] === "." && v[2] === "9")) {
    return lolwut6(c, args);
  }
  return `Redis ver. ${REDIS_COMPAT_VERSION}\n`;
}

/** The optional integer arguments, clamped as Redis does; null after an error reply. */
function intArgs(c: Client, args: string[], defaults: number[]): number[] | null {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = getLongLongOrReply(c, args[i]);
    if (n === null) return null;
    out[i] = n;
  }
  return out;
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(n, hi));
/** C's rand(): 0..RAND_MAX (2^31-1). */
const rand = () => Math.floor(Math.random() * 2147483648);
const RAND_MAX = 2147483647;

// ─── the canvas (lolwut.c) ─────────────────────────────────────────────────────────────────────────────

class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    bg: number,
  ) {
    this.pixels = new Uint8Array(width * height).fill(bg);
  }

  draw(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }

  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }

  /** Bresenham, as lwDrawLine. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.draw(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }

  /** lwDrawSquare: a square of side `size` centred on x,y, rotated by `angle`. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: Redis divides by this truncated constant
    let s = Math.fround(size / 1.4142135623);
    s = Math.fround(cRound(s));
    let k = Math.fround(Math.PI / 4 + angle);
    const px: number[] = [];
    const py: number[] = [];
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * s + x));
      py.push(cRound(Math.cos(k) * s + y));
      k = Math.fround(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

/** C's round(): halves away from zero. */
function cRound(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

// ─── version 5: Schotter ───────────────────────────────────────────────────────────────────────────────

function lolwut5(c: Client, args: string[]): string | null {
  const a = intArgs(c, args, [66, 8, 12]);
  if (a === null) return null;
  const cols = clamp(a[0], 1, 1000);
  const perRow = clamp(a[1], 1, 200);
  const perCol = clamp(a[2], 1, 200);
  const canvas = schotter(cols, perRow, perCol);
  return `${braille(canvas)}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_COMPAT_VERSION}\n`;
}

function schotter(consoleCols: number, perRow: number, perCol: number): Canvas {
  const width = consoleCols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = Math.fround((width - padding * 2) / perRow);
  const height = Math.trunc(Math.fround(Math.fround(side * perCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(Math.fround(Math.fround(Math.fround(x * side) + Math.fround(side / 2)) + padding));
      let sy = Math.trunc(Math.fround(Math.fround(Math.fround(y * side) + Math.fround(side / 2)) + padding));
      let angle = 0;
      if (y > 1) {
        let r1 = Math.fround((Math.fround(rand() / RAND_MAX) / perCol) * y);
        let r2 = Math.fround((Math.fround(rand() / RAND_MAX) / perCol) * y);
        let r3 = Math.fround((Math.fround(rand() / RAND_MAX) / perCol) * y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(Math.fround(sx + Math.fround(Math.fround(r2 * side) / 3)));
        sy = Math.trunc(Math.fround(sy + Math.fround(Math.fround(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** renderCanvas of lolwut5.c: 2x4 pixel groups as Braille characters (UTF-8 bytes in a latin1 string). */
function braille(canvas: Canvas): string {
  let text = "";
  for (let y = 0; y < canvas.height; y += 4) {
    for (let x = 0; x < canvas.width; x += 2) {
      let byte = 0;
      if (canvas.get(x, y)) byte |= 1 << 0;
      if (canvas.get(x, y + 1)) byte |= 1 << 1;
      if (canvas.get(x, y + 2)) byte |= 1 << 2;
      if (canvas.get(x + 1, y)) byte |= 1 << 3;
      if (canvas.get(x + 1, y + 1)) byte |= 1 << 4;
      if (canvas.get(x + 1, y + 2)) byte |= 1 << 5;
      if (canvas.get(x, y + 3)) byte |= 1 << 6;
      if (canvas.get(x + 1, y + 3)) byte |= 1 << 7;
      const code = 0x2800 + byte;
      text += String.fromCharCode(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    }
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}

// ─── version 6: skyline ────────────────────────────────────────────────────────────────────────────────

function lolwut6(c: Client, args: string[]): string | null {
  const a = intArgs(c, args, [80, 20]);
  if (a === null) return null;
  const canvas = new Canvas(clamp(a[0], 1, 1000), clamp(a[1], 1, 1000), 3);
  skyline(canvas);
  return (
    `${grays(canvas)}\nDedicated to the 8 bit game developers of past and present.\n` +
    `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_COMPAT_VERSION}\n`
  );
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

function skyscraper(canvas: Canvas, si: Skyscraper): void {
  const starty = canvas.height - 1;
  const endy = starty - si.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = si.xoff; x < si.xoff + si.width; x++) {
      if (y === endy && (x <= si.xoff + 1 || x >= si.xoff + si.width - 2)) continue; // a narrower roof
      let color = si.color;
      if (si.windows && x > si.xoff + 1 && x < si.xoff + si.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (si.xoff + 1);
        const rely = y - (endy + 1);
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + (rand() % 2);
          while (color === si.color);
          if (relx % 2) color = canvas.get(x - 1, y);
        }
      }
      canvas.draw(x, y, color);
    }
  }
}

function skyline(canvas: Canvas): void {
  const h = canvas.height;
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height =
        color === 2
          ? Math.trunc(h / 2) + Math.trunc((rand() % h) / 2)
          : Math.trunc(h / 2) + Math.trunc((rand() % h) / 3);
      skyscraper(canvas, { xoff: offset, width, height, windows: false, color });
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    skyscraper(canvas, { xoff: offset, width, height, windows: true, color: 0 });
    offset += width + 5;
  }
}

/** renderCanvas of lolwut6.c: each pixel a space on one of four gray backgrounds. */
function grays(canvas: Canvas): string {
  const escapes = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];
  let text = "";
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) text += `\x1b[${escapes[canvas.get(x, y)] ?? escapes[0]} \x1b[0m`;
    if (y !== canvas.height - 1) text += "\n";
  }
  return text;
}
