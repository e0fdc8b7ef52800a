import {
  cellScoreRange,
  decodeGeohashScore,
  distanceWithinShape,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  type GeoRange,
  type GeoShape,
  type GeoXY,
  geohashCalculateAreasByShape,
  geohashGetDistance,
  geohashScoreText,
  geohashString,
  isZeroCell,
  prepareShape,
  sameCell,
} from "../../store/geohash.js";
import { RedisZSet } from "../../store/redis-zset.js";
import { eqi, getLongLongOrReply } from "../arguments.js";
import type { Client } from "../client.js";
import type { CommandDef } from "../command-registry.js";
import { Notify } from "../notify-flags.js";
import { ERR_COUNT_GT_ZERO, ERR_NOT_FLOAT, ERR_SYNTAX } from "../shared-replies.js";
import { lookupRead, modified, rewriteCommandVector, wrongType } from "./helpers.js";
import { parseScore, storeZSet, zaddWithScores } from "./zsets.js";

/**
 * The GEO family, following Redis 7.0's geo.c: positions are members of a sorted set whose scores are
 * 52-bit geohashes (store/geohash.ts), GEOADD is a ZADD underneath (and propagates as one), and every
 * search scans the same nine grid cells as Redis, in the same order, with the same distance formula, the
 * same sorting (a stable sort, or Redis's partial quicksort when COUNT cuts the result) and the same
 * number formatting, so replies match redis-server byte for byte.
 */

const ERR_DECODE = "ERR could not decode requested zset member";
const ERR_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";

const isZSet = (v: unknown): v is RedisZSet => v instanceof RedisZSet;

// ─── number formatting ──────────────────────────────────────────────────────────────────────────────────

/**
 * C's printf("%.Nf") of a double: the exact binary value rounded half-to-even at N decimals (glibc).
 * JavaScript's toFixed rounds the exact value too but breaks ties away from zero, and a tie needs the
 * value's lowest set bit to be exactly 2^-(N+1); that case is settled by hand. Values of 1e21 and more
 * are integers, printed in full.
 */
export function printfFixed(d: number, digits: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
  if (Math.abs(d) >= 1e21) return `${BigInt(d)}.${"0".repeat(digits)}`;
  const half = 2 ** (digits + 1);
  if (Number.isInteger(d * half) && !Number.isInteger(d * (half / 2))) {
    const truncated = d.toFixed(digits + 1).slice(0, -1); // the exact value ends in that 5
    if ((truncated.charCodeAt(truncated.length - 1) - 48) % 2 === 0) return truncated;
  }
  const s = d.toFixed(digits);
  return Object.is(d, -0) ? `-${s}` : s;
}

/**
 * addReplyHumanLongDouble's text (ld2string, LD_STR_HUMAN): "%.17Lf" of the double, trailing zeros and a
 * bare point removed, "-0" turned into "0" — how Redis prints coordinates.
 */
export function humanCoordinate(d: number): string {
  let s = printfFixed(d, 17);
  if (s.includes(".")) {
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  return s === "-0" ? "0" : s;
}

/** fixedpoint_d2string(d, 4): llrint(d * 10^4) (ties to even) printed with four decimals. */
export function distanceText(d: number): string {
  if (d === 0) return "0.0000";
  const p = d * 10000;
  const f = Math.floor(p);
  const frac = p - f;
  const v = frac > 0.5 || (frac === 0.5 && f % 2 !== 0) ? f + 1 : f;
  // Distances are never negative, so the sign branch of the C function is not needed.
  const digits = String(v).padStart(5, "0");
  return `${digits.slice(0, -4)}.${digits.slice(-4)}`;
}

function replyCoordinate(c: Client, d: number): void {
  const s = humanCoordinate(d);
  if (c.reply.proto === 3) c.reply.raw(`,${s}\r\n`);
  else c.reply.bulk(s);
}

// ─── argument helpers ───────────────────────────────────────────────────────────────────────────────────

/** extractLongLatOrReply: two doubles at argv[at], argv[at+1] within Redis's limits, into `out`. */
function extractLongLat(c: Client, argv: string[], at: number, out: GeoXY): boolean {
  const lon = parseScore(argv[at]);
  if (lon === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return false;
  }
  const lat = parseScore(argv[at + 1]);
  if (lat === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return false;
  }
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    c.reply.error(`ERR invalid longitude,latitude pair ${printfFixed(lon, 6)},${printfFixed(lat, 6)}`);
    return false;
  }
  out.lon = lon;
  out.lat = lat;
  return true;
}

/** extractUnitOrReply: metres per unit, or -1 after replying the error. */
function extractUnit(c: Client, unit: string): number {
  if (eqi(unit, "m")) return 1;
  if (eqi(unit, "km")) return 1000;
  if (eqi(unit, "ft")) return 0.3048;
  if (eqi(unit, "mi")) return 1609.34;
  c.reply.error(ERR_UNIT);
  return -1;
}

/** extractDistanceOrReply: "<radius> <unit>" into the shape. */
function extractDistance(c: Client, argv: string[], at: number, shape: GeoShape): boolean {
  const radius = parseScore(argv[at]);
  if (radius === null) {
    c.reply.error("ERR need numeric radius");
    return false;
  }
  if (radius < 0) {
    c.reply.error("ERR radius cannot be negative");
    return false;
  }
  const conversion = extractUnit(c, argv[at + 1]);
  if (conversion < 0) return false;
  shape.radius = radius;
  shape.conversion = conversion;
  return true;
}

/** extractBoxOrReply: "<width> <height> <unit>" into the shape. */
function extractBox(c: Client, argv: string[], at: number, shape: GeoShape): boolean {
  const w = parseScore(argv[at]);
  if (w === null) {
    c.reply.error("ERR need numeric width");
    return false;
  }
  const h = parseScore(argv[at + 1]);
  if (h === null) {
    c.reply.error("ERR need numeric height");
    return false;
  }
  if (h < 0 || w < 0) {
    c.reply.error("ERR height or width cannot be negative");
    return false;
  }
  const conversion = extractUnit(c, argv[at + 2]);
  if (conversion < 0) return false;
  shape.width = w;
  shape.height = h;
  shape.conversion = conversion;
  return true;
}

/** longLatFromMember: the member's decoded position into `out`; false when the member is absent. */
function longLatFromMember(z: RedisZSet, member: string, out: GeoXY): boolean {
  const score = z.score(member);
  if (score === undefined) return false;
  decodeGeohashScore(score, out);
  return true;
}

// ─── GEOADD ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * GEOADD key [NX|XX] [CH] lon lat member ...: validated and encoded, then run as the ZADD Redis builds
 * ("zadd" key options score member ...), which is also what replicas and the AOF receive.
 */
function geoaddCommand(c: Client, argv: string[]): void {
  let xx = false;
  let nx = false;
  let longidx = 2;
  for (; longidx < argv.length; longidx++) {
    const opt = argv[longidx];
    if (eqi(opt, "nx")) nx = true;
    else if (eqi(opt, "xx")) xx = true;
    else if (!eqi(opt, "ch")) break;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const elements = (argv.length - longidx) / 3;
  const zargv: string[] = new Array(longidx + elements * 2);
  zargv[0] = "zadd";
  for (let i = 1; i < longidx; i++) zargv[i] = argv[i];
  const xy: GeoXY = { lon: 0, lat: 0 };
  const scores: number[] = new Array(elements);
  for (let i = 0; i < elements; i++) {
    if (!extractLongLat(c, argv, longidx + i * 3, xy)) return;
    const text = geohashScoreText(xy.lon, xy.lat);
    zargv[longidx + i * 2] = text;
    // The value ZADD's strtod reads from that integer text (both round to the nearest double).
    scores[i] = Number(text);
    zargv[longidx + 1 + i * 2] = argv[longidx + i * 3 + 2];
  }
  rewriteCommandVector(c, zargv);
  zaddWithScores(c, zargv, scores);
}

// ─── searching ──────────────────────────────────────────────────────────────────────────────────────────

/** One search hit (Redis's geoPoint). */
interface GeoPoint {
  lon: number;
  lat: number;
  /** Metres from the centre (converted to the unit only when replying). */
  dist: number;
  score: number;
  member: string;
}

/**
 * geoGetPointsInRange: the members with min <= score < max that fall inside the shape, appended to
 * `out`, stopping once `limit` (COUNT ... ANY; 0 = none) points are collected.
 */
function pointsInRange(z: RedisZSet, range: GeoRange, shape: GeoShape, out: GeoPoint[], limit: number): void {
  const xy: GeoXY = { lon: 0, lat: 0 };
  let node = z.firstAtLeast(range.min);
  while (node !== null) {
    const score = node.score;
    if (!(score < range.max)) break;
    decodeGeohashScore(score, xy);
    const dist = distanceWithinShape(shape, xy.lon, xy.lat);
    if (dist >= 0) out.push({ lon: xy.lon, lat: xy.lat, dist, score, member: node.member });
    if (limit !== 0 && out.length >= limit) break;
    node = node.next;
  }
}

/**
 * membersOfAllNeighbors: scans the centre cell and its neighbours in Redis's order, skipping zeroed cells
 * and a cell equal to the last one scanned (Redis never compares against the centre cell itself).
 */
function membersOfAllNeighbors(z: RedisZSet, shape: GeoShape, out: GeoPoint[], limit: number): void {
  const cells = geohashCalculateAreasByShape(shape);
  const range: GeoRange = { min: 0, max: 0 };
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (isZeroCell(cell)) continue;
    if (lastProcessed !== 0 && sameCell(cell, cells[lastProcessed])) continue;
    if (out.length !== 0 && limit !== 0 && out.length >= limit) break;
    cellScoreRange(cell, range);
    pointsInRange(z, range, shape, out, limit);
    lastProcessed = i;
  }
}

type Compare = (a: GeoPoint, b: GeoPoint) => number;

/** sort_gp_asc: by distance; equal distances compare equal. */
const sortAsc: Compare = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const sortDesc: Compare = (a, b) => -sortAsc(a, b);

function swap(a: GeoPoint[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function med3(a: GeoPoint[], i: number, j: number, k: number, cmp: Compare): number {
  return cmp(a[i], a[j]) < 0
    ? cmp(a[j], a[k]) < 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? k
        : i
    : cmp(a[j], a[k]) > 0
      ? j
      : cmp(a[i], a[k]) < 0
        ? i
        : k;
}

/**
 * Redis's pqsort (pqsort.c, a Bentley–McIlroy quicksort that only recurses into partitions overlapping
 * [lrange, rrange]), step for step: which of several equidistant points make the cut and in what order
 * depends on its exact partitioning, so it is reproduced rather than replaced.
 */
function pqsort(a: GeoPoint[], base: number, n: number, cmp: Compare, lrange: number, rrange: number): void {
  for (;;) {
    if (n < 7) {
      for (let pm = base + 1; pm < base + n; pm++)
        for (let pl = pm; pl > base && cmp(a[pl - 1], a[pl]) > 0; pl--) swap(a, pl, pl - 1);
      return;
    }
    let pm = base + Math.floor(n / 2);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(a, pm - d, pm, pm + d, cmp);
        pn = med3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(a[pb], a[base])) <= 0) {
        if (r === 0) swap(a, pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(a[pc], a[base])) >= 0) {
        if (r === 0) swap(a, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb++, pc--);
    }
    const pn = base + n;
    let r = Math.min(pa - base, pb - pa);
    for (let i = 0; i < r; i++) swap(a, base + i, pb - r + i);
    r = Math.min(pd - pc, pn - pd - 1);
    for (let i = 0; i < r; i++) swap(a, pb + i, pn - r + i);
    if ((r = pb - pa) > 1 && !(rrange < base || lrange > base + r - 1))
      pqsort(a, base, r, cmp, lrange, rrange);
    if ((r = pd - pc) > 1) {
      base = pn - r;
      n = r;
      if (!(rrange < base || lrange > base + r - 1)) continue;
    }
    return;
  }
}

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

/**
 * georadiusGeneric: GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and GEOSEARCHSTORE, with Redis's
 * argument order, error precedence and reply shapes.
 */
function georadiusGeneric(c: Client, argv: string[], srcKeyIndex: number, flags: number): void {
  let storekey: string | null = null;
  let storedist = false;
  const v = lookupRead(c, argv[srcKeyIndex]);
  if (wrongType(c, v, isZSet)) return;
  const zobj = v as RedisZSet | undefined;

  const shape: GeoShape = { box: false, lon: 0, lat: 0, conversion: 0, radius: 0, width: 0, height: 0 };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    if (!extractLongLat(c, argv, 2, shape)) return;
    if (!extractDistance(c, argv, baseArgs - 2, shape)) return;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    // Without the key Redis parses nothing more here (not even the radius): the reply is empty anyway.
    if (zobj !== undefined) {
      if (!longLatFromMember(zobj, argv[2], shape)) {
        c.reply.error(ERR_DECODE);
        return;
      }
      if (!extractDistance(c, argv, baseArgs - 2, shape)) return;
    }
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = argv[1];
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    if (eqi(arg, "withdist")) withdist = true;
    else if (eqi(arg, "withhash")) withhash = true;
    else if (eqi(arg, "withcoord")) withcoords = true;
    else if (eqi(arg, "any")) any = true;
    else if (eqi(arg, "asc")) sort = SORT_ASC;
    else if (eqi(arg, "desc")) sort = SORT_DESC;
    else if (eqi(arg, "count") && i + 1 < remaining) {
      // Only ever compared with a result length: the getter's saturation past 2^53 changes nothing.
      const n = getLongLongOrReply(c, argv[baseArgs + i + 1]);
      if (n === null) return;
      if (n <= 0) {
        c.reply.error(ERR_COUNT_GT_ZERO);
        return;
      }
      count = n;
      i++;
    } else if (
      (eqi(arg, "store") || eqi(arg, "storedist")) &&
      i + 1 < remaining &&
      !(flags & RADIUS_NOSTORE) &&
      !(flags & GEOSEARCH)
    ) {
      storekey = argv[baseArgs + i + 1];
      storedist = eqi(arg, "storedist");
      i++;
    } else if (eqi(arg, "storedist") && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (eqi(arg, "frommember") && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      // Without the key the member is not looked up: arguments are still checked, then the reply is empty.
      if (zobj !== undefined && !longLatFromMember(zobj, argv[baseArgs + i + 1], shape)) {
        c.reply.error(ERR_DECODE);
        return;
      }
      frommember = true;
      i++;
    } else if (eqi(arg, "fromlonlat") && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      if (!extractLongLat(c, argv, baseArgs + i + 1, shape)) return;
      fromloc = true;
      i += 2;
    } else if (eqi(arg, "byradius") && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      if (!extractDistance(c, argv, baseArgs + i + 1, shape)) return;
      shape.box = false;
      byradius = true;
      i += 2;
    } else if (eqi(arg, "bybox") && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      if (!extractBox(c, argv, baseArgs + i + 1, shape)) return;
      shape.box = true;
      bybox = true;
      i += 3;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }

  if (storekey !== null && (withdist || withhash || withcoords)) {
    const what = flags & GEOSEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    c.reply.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if (flags & GEOSEARCH && !(frommember || fromloc)) {
    c.reply.error(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`);
    return;
  }
  if (flags & GEOSEARCH && !(byradius || bybox)) {
    c.reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
    return;
  }
  if (any && count === 0) {
    c.reply.error("ERR the ANY argument requires COUNT argument");
    return;
  }

  if (zobj === undefined) {
    if (storekey !== null) {
      if (c.db.delete(storekey)) modified(c, storekey, Notify.GENERIC, "del");
      c.reply.integer(0);
    } else {
      c.reply.arrayHeader(0);
    }
    return;
  }

  // COUNT returns the closest N: it implies ASC unless ANY asked for the first N found.
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const points: GeoPoint[] = [];
  prepareShape(shape);
  membersOfAllNeighbors(zobj, shape, points, any ? count : 0);

  if (points.length === 0 && storekey === null) {
    c.reply.arrayHeader(0);
    return;
  }

  const resultLength = points.length;
  const returned = count === 0 || resultLength < count ? resultLength : count;
  if (sort !== SORT_NONE) {
    const cmp = sort === SORT_ASC ? sortAsc : sortDesc;
    // Redis sorts everything with glibc's qsort, a stable merge sort, as Array.prototype.sort is.
    if (returned === resultLength) points.sort(cmp);
    else pqsort(points, 0, resultLength, cmp, 0, returned - 1);
  }

  if (storekey === null) {
    const options = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    const r = c.reply;
    r.arrayHeader(returned);
    for (let i = 0; i < returned; i++) {
      const gp = points[i];
      if (options !== 0) r.arrayHeader(options + 1);
      r.bulk(gp.member);
      if (withdist) r.bulk(distanceText(gp.dist / shape.conversion));
      // (long long)score: a score ZADDed by hand inside a cell may have a fraction.
      if (withhash) r.integer(Math.trunc(gp.score));
      if (withcoords) {
        r.arrayHeader(2);
        replyCoordinate(c, gp.lon);
        replyCoordinate(c, gp.lat);
      }
    }
    return;
  }

  if (returned > 0) {
    const z = new RedisZSet();
    for (let i = 0; i < returned; i++) {
      const gp = points[i];
      z.add(gp.member, storedist ? gp.dist / shape.conversion : gp.score);
    }
    storeZSet(c, storekey, z);
    modified(c, storekey, Notify.ZSET, flags & GEOSEARCH ? "geosearchstore" : "georadiusstore", returned);
  } else if (c.db.delete(storekey)) {
    modified(c, storekey, Notify.GENERIC, "del");
  }
  c.reply.integer(returned);
}

// ─── GEOHASH / GEOPOS / GEODIST ─────────────────────────────────────────────────────────────────────────

/** GEOHASH key member ...: the standard 11-character geohash of each member, or null. */
function geohashCommand(c: Client, argv: string[]): void {
  const v = lookupRead(c, argv[1]);
  if (wrongType(c, v, isZSet)) return;
  const z = v as RedisZSet | undefined;
  c.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) c.reply.nullBulk();
    else c.reply.bulk(geohashString(score));
  }
}

/** GEOPOS key member ...: [longitude, latitude] of each member, or a null array. */
function geoposCommand(c: Client, argv: string[]): void {
  const v = lookupRead(c, argv[1]);
  if (wrongType(c, v, isZSet)) return;
  const z = v as RedisZSet | undefined;
  const xy: GeoXY = { lon: 0, lat: 0 };
  c.reply.arrayHeader(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) {
      c.reply.nullArray();
      continue;
    }
    decodeGeohashScore(score, xy);
    c.reply.arrayHeader(2);
    replyCoordinate(c, xy.lon);
    replyCoordinate(c, xy.lat);
  }
}

/** GEODIST key member1 member2 [unit]: the distance with four decimals, or null if a member is missing. */
function geodistCommand(c: Client, argv: string[]): void {
  let toMeter = 1;
  if (argv.length === 5) {
    toMeter = extractUnit(c, argv[4]);
    if (toMeter < 0) return;
  } else if (argv.length > 5) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const v = lookupRead(c, argv[1]);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  if (wrongType(c, v, isZSet)) return;
  const z = v as RedisZSet;
  const score1 = z.score(argv[2]);
  const score2 = z.score(argv[3]);
  if (score1 === undefined || score2 === undefined) {
    c.reply.nullBulk();
    return;
  }
  const a: GeoXY = { lon: 0, lat: 0 };
  const b: GeoXY = { lon: 0, lat: 0 };
  decodeGeohashScore(score1, a);
  decodeGeohashScore(score2, b);
  c.reply.bulk(distanceText(geohashGetDistance(a.lon, a.lat, b.lon, b.lat) / toMeter));
}

// ─── the family ─────────────────────────────────────────────────────────────────────────────────────────

/** Command family: geospatial indexes on sorted sets. */
export const geoCommands: CommandDef[] = [
  { name: "geoadd", handler: geoaddCommand },
  { name: "geohash", handler: geohashCommand },
  { name: "geopos", handler: geoposCommand },
  { name: "geodist", handler: geodistCommand },
  { name: "georadius", handler: (c, a) => georadiusGeneric(c, a, 1, RADIUS_COORDS) },
  { name: "georadiusbymember", handler: (c, a) => georadiusGeneric(c, a, 1, RADIUS_MEMBER) },
  { name: "georadius_ro", handler: (c, a) => georadiusGeneric(c, a, 1, RADIUS_COORDS | RADIUS_NOSTORE) },
  {
    name: "georadiusbymember_ro",
    handler: (c, a) => georadiusGeneric(c, a, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  },
  { name: "geosearch", handler: (c, a) => georadiusGeneric(c, a, 1, GEOSEARCH) },
  { name: "geosearchstore", handler: (c, a) => georadiusGeneric(c, a, 2, GEOSEARCH | GEOSEARCHSTORE) },
];
