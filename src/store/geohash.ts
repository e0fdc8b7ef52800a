/**
 * The geohash arithmetic behind Redis's GEO commands (Redis 7.0's geohash.c and geohash_helper.c), so a
 * position stored by Tandem has the very score redis-server gives it and every search walks the same
 * cells, finds the same points and computes the same distances, bit for bit.
 *
 * A position is a 52-bit integer: longitude and latitude each cut into 2^26 steps over [-180, 180] and
 * [-85.05112878, 85.05112878] (the Web Mercator limits), their bits interleaved, latitude in the even
 * positions. The integer is the member's score in a sorted set, so a cell of the grid is a score range.
 *
 * Redis does this with 64-bit integers. Here a cell is kept de-interleaved — its longitude and latitude
 * indexes at a step (bits per axis) — which makes moving to a neighbour plain arithmetic, and the 64-bit
 * values are handled as two 32-bit halves. The floating-point expressions keep Redis's operand order, so
 * IEEE doubles round exactly as the C code's do.
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;

/** The earth's quadratic mean radius for WGS-84, as Redis uses it for every distance. */
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** M_PI / 180.0, the one rounding C does too. */
const D_R = Math.PI / 180.0;

const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;

/** A grid cell: its longitude and latitude indexes with `step` bits each. step 0 is Redis's zeroed hash. */
export interface GeoCell {
  lon: number;
  lat: number;
  step: number;
}

/** A coordinate range (GeoHashRange). */
export interface GeoRange {
  min: number;
  max: number;
}

/** The longitude and latitude span of a cell (GeoHashArea). */
export interface GeoArea {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

const LONG_RANGE: GeoRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: GeoRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

// ─── bit interleaving on 32-bit halves ──────────────────────────────────────────────────────────────────

/** The low 16 bits of `v` spread to the even bit positions of a 32-bit value. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even-position bits of a 32-bit value gathered into 16 bits (the inverse of spread16). */
function compact32(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** The halves of C's `(uint64_t)score` on x86-64: the two 32-bit words the decoder works on. */
const scoreBits = { hi: 0, lo: 0 };

/**
 * C's conversion of a double to uint64_t as gcc compiles it for x86-64 (cvttsd2si, with 2^63 subtracted
 * first for large values): truncation for [0, 2^64), two's complement of the truncated value for
 * negatives, and the "integer indefinite" 2^63 (or 0 above 2^64 and for +inf) outside. Geo scores are
 * always in the first case; the others only arise from scores written with ZADD.
 */
function toUint64(score: number): void {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO_32);
    scoreBits.hi = hi;
    scoreBits.lo = t - hi * TWO_32;
    return;
  }
  const SIGN = 1n << 63n;
  let b: bigint;
  if (!(score >= TWO_63)) {
    b = Number.isNaN(score) || score < -TWO_63 ? SIGN : BigInt.asUintN(64, BigInt(Math.trunc(score)));
  } else {
    const v = score - TWO_63;
    b = (v < TWO_63 ? BigInt(Math.trunc(v)) : SIGN) ^ SIGN;
  }
  scoreBits.hi = Number(b >> 32n);
  scoreBits.lo = Number(b & 0xffffffffn);
}

/** interleave64(lat, lon) as an exact integer when it fits a double's 53 bits, else null. */
function interleaveExact(lat: number, lon: number): number | null {
  if (lat >= 67108864 || lon >= 67108864) return null;
  const latBits = spread16(lat) + spread16(lat >>> 16) * TWO_32;
  const lonBits = spread16(lon) + spread16(lon >>> 16) * TWO_32;
  return latBits + lonBits * 2;
}

/** interleave64 as a BigInt, for the cells at the very edge whose indexes overflow their step. */
function interleaveBig(lat: number, lon: number): bigint {
  const latBits = BigInt(spread16(lat)) | (BigInt(spread16(lat >>> 16)) << 32n);
  const lonBits = BigInt(spread16(lon)) | (BigInt(spread16(lon >>> 16)) << 32n);
  return latBits | (lonBits << 1n);
}

// ─── encode / decode ────────────────────────────────────────────────────────────────────────────────────

/**
 * geohashEncode: the cell of a point at `step` bits per axis within the given ranges, or null when the
 * point is outside the supported limits. An index reaches 2^step (one past the grid) for a coordinate
 * exactly at the top of its range, as in Redis, whose searches then carry that overflow along.
 */
export function geohashEncode(
  lonRange: GeoRange,
  latRange: GeoRange,
  longitude: number,
  latitude: number,
  step: number,
): GeoCell | null {
  if (
    longitude > GEO_LONG_MAX ||
    longitude < GEO_LONG_MIN ||
    latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  )
    return null;
  if (
    latitude < latRange.min ||
    latitude > latRange.max ||
    longitude < lonRange.min ||
    longitude > lonRange.max
  )
    return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (longitude - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  // The C code converts to uint32_t: truncation.
  return { lon: Math.trunc(lonOffset), lat: Math.trunc(latOffset), step };
}

/** geohashEncodeWGS84: the cell within Redis's coordinate limits. */
export function geohashEncodeWGS84(longitude: number, latitude: number, step: number): GeoCell | null {
  return geohashEncode(LONG_RANGE, LAT_RANGE, longitude, latitude, step);
}

/** geohashDecode: the longitude/latitude span of a cell within the given ranges. */
export function geohashDecode(lonRange: GeoRange, latRange: GeoRange, cell: GeoCell): GeoArea {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const cells = 2 ** cell.step;
  return {
    latMin: latRange.min + (cell.lat / cells) * latScale,
    latMax: latRange.min + ((cell.lat + 1) / cells) * latScale,
    lonMin: lonRange.min + (cell.lon / cells) * lonScale,
    lonMax: lonRange.min + ((cell.lon + 1) / cells) * lonScale,
  };
}

/** The point Redis reports for a stored position: the centre of its cell, clamped to the limits. */
export interface GeoXY {
  lon: number;
  lat: number;
}

/**
 * decodeGeohash: the position encoded in a sorted-set score (its cell at full precision), written into
 * `out`. Redis's decoding never fails for a 26-step hash, whatever the score.
 */
export function decodeGeohashScore(score: number, out: GeoXY): void {
  toUint64(score);
  const { hi, lo } = scoreBits;
  const lat = (compact32(lo) | (compact32(hi) << 16)) >>> 0;
  const lon = (compact32(lo >>> 1) | (compact32(hi >>> 1) << 16)) >>> 0;
  const cells = 67108864; // 2^26
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const latMin = GEO_LAT_MIN + (lat / cells) * latScale;
  // "ilato + 1" is uint32_t arithmetic in C: it wraps to 0 for the all-ones index of a negative score.
  const latMax = GEO_LAT_MIN + (((lat + 1) >>> 0) / cells) * latScale;
  const lonMin = GEO_LONG_MIN + (lon / cells) * lonScale;
  const lonMax = GEO_LONG_MIN + (((lon + 1) >>> 0) / cells) * lonScale;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  out.lon = x;
  out.lat = y;
}

/**
 * The score GEOADD stores for a valid position, as the decimal text Redis puts into the ZADD it runs and
 * propagates (sdsfromlonglong of the 52-bit hash; 53–54 bits at the very edge of the grid).
 */
export function geohashScoreText(longitude: number, latitude: number): string {
  const cell = geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX)!;
  const exact = interleaveExact(cell.lat, cell.lon);
  if (exact !== null && exact <= Number.MAX_SAFE_INTEGER) return String(exact);
  return interleaveBig(cell.lat, cell.lon).toString();
}

const GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";
const STANDARD_LONG: GeoRange = { min: -180, max: 180 };
const STANDARD_LAT: GeoRange = { min: -90, max: 90 };

/**
 * GEOHASH's 11-character text for a score: the position decoded, re-encoded over the standard latitude
 * range [-90, 90] at 26 steps, cut into base-32 characters; the 11th, beyond the 52 bits, is always "0".
 */
export function geohashString(score: number): string {
  const xy: GeoXY = { lon: 0, lat: 0 };
  decodeGeohashScore(score, xy);
  const cell = geohashEncode(STANDARD_LONG, STANDARD_LAT, xy.lon, xy.lat, GEO_STEP_MAX)!;
  const bits = interleaveBig(cell.lat, cell.lon);
  let out = "";
  for (let i = 0; i < 10; i++) out += GEOALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return out + "0";
}

// ─── neighbours and search areas ────────────────────────────────────────────────────────────────────────

/**
 * geohash_move_x / geohash_move_y on a de-interleaved cell: the moved index wraps around its step (the
 * C code masks it to step*2 bits) while the other keeps whatever it had, overflow included.
 */
function moved(cell: GeoCell, dx: number, dy: number): GeoCell {
  const size = 2 ** cell.step;
  const lon = dx === 0 ? cell.lon : (((cell.lon + dx) % size) + size) % size;
  const lat = dy === 0 ? cell.lat : (((cell.lat + dy) % size) + size) % size;
  return { lon, lat, step: cell.step };
}

/** A zeroed cell (GZERO): skipped by the search. */
const ZERO: GeoCell = { lon: 0, lat: 0, step: 0 };

/** The search shape (Redis's GeoShape): a circle or an axis-aligned box around a centre. */
export interface GeoShape {
  /** true: BYBOX, false: BYRADIUS. */
  box: boolean;
  lon: number;
  lat: number;
  /** Metres per unit (m: 1, km: 1000, ft: 0.3048, mi: 1609.34). */
  conversion: number;
  radius: number;
  width: number;
  height: number;
  /**
   * What every distance from the centre shares, set by prepareShape once the shape is parsed: the centre
   * in radians, the cosine of its latitude and the radius in metres (the very values the per-point
   * formula would compute again for each point).
   */
  lonR?: number;
  latR?: number;
  cosLat?: number;
  radiusM?: number;
}

/** Fills the shape's shared terms (see GeoShape); call before distanceWithinShape. */
export function prepareShape(shape: GeoShape): void {
  shape.lonR = shape.lon * D_R;
  shape.latR = shape.lat * D_R;
  shape.cosLat = Math.cos(shape.latR);
  shape.radiusM = shape.radius * shape.conversion;
}

/** The cells to scan for a search: the centre cell then its eight neighbours in Redis's order. */
export interface GeoSearchCells {
  /** [centre, north, south, east, west, north-east, north-west, south-east, south-west]; ZERO = skip. */
  cells: GeoCell[];
}

/** geohashEstimateStepsByRadius: the coarsest step whose cells still cover the radius well. */
export function geohashEstimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Cells narrow towards the poles: one or two steps coarser there.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat] around the shape's centre. */
export function geohashBoundingBox(shape: GeoShape): [number, number, number, number] {
  const longitude = shape.lon;
  const latitude = shape.lat;
  const height = shape.conversion * (shape.box ? shape.height / 2 : shape.radius);
  const width = shape.conversion * (shape.box ? shape.width / 2 : shape.radius);
  const latDelta = height / EARTH_RADIUS_IN_METERS / D_R;
  const longDeltaTop = width / EARTH_RADIUS_IN_METERS / Math.cos((latitude + latDelta) * D_R) / D_R;
  const longDeltaBottom = width / EARTH_RADIUS_IN_METERS / Math.cos((latitude - latDelta) * D_R) / D_R;
  // The hemispheres' widest edges are opposite: the box takes the wider one.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

function neighbourCells(hash: GeoCell): GeoCell[] {
  return [
    hash,
    moved(hash, 0, 1), // north
    moved(hash, 0, -1), // south
    moved(hash, 1, 0), // east
    moved(hash, -1, 0), // west
    moved(hash, 1, 1), // north-east
    moved(hash, -1, 1), // north-west
    moved(hash, 1, -1), // south-east
    moved(hash, -1, -1), // south-west
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84: the centre cell at the estimated step (one coarser when a side
 * neighbour does not reach the bounding box's edge) and its neighbours, minus those on a side the
 * bounding box does not reach.
 */
export function geohashCalculateAreasByShape(shape: GeoShape): GeoCell[] {
  const [minLon, minLat, maxLon, maxLat] = geohashBoundingBox(shape);
  let radiusMeters = shape.box
    ? Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
    : shape.radius;
  radiusMeters *= shape.conversion;

  let steps = geohashEstimateStepsByRadius(radiusMeters, shape.lat);
  let hash = geohashEncode(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, steps)!;
  let cells = neighbourCells(hash);
  let area = geohashDecode(LONG_RANGE, LAT_RANGE, hash);

  const north = geohashDecode(LONG_RANGE, LAT_RANGE, cells[1]);
  const south = geohashDecode(LONG_RANGE, LAT_RANGE, cells[2]);
  const east = geohashDecode(LONG_RANGE, LAT_RANGE, cells[3]);
  const west = geohashDecode(LONG_RANGE, LAT_RANGE, cells[4]);
  const decreaseStep =
    north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decreaseStep) {
    steps--;
    hash = geohashEncode(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, steps)!;
    cells = neighbourCells(hash);
    area = geohashDecode(LONG_RANGE, LAT_RANGE, hash);
  }

  if (steps >= 2) {
    if (area.latMin < minLat) cells[2] = cells[8] = cells[7] = ZERO; // south, south-west, south-east
    if (area.latMax > maxLat) cells[1] = cells[5] = cells[6] = ZERO; // north, north-east, north-west
    if (area.lonMin < minLon) cells[4] = cells[8] = cells[6] = ZERO; // west, south-west, north-west
    if (area.lonMax > maxLon) cells[3] = cells[7] = cells[5] = ZERO; // east, south-east, north-east
  }
  return cells;
}

/** The score range [min, max) holding every point of a cell (scoresOfGeoHashBox), into `out`. */
export function cellScoreRange(cell: GeoCell, out: GeoRange): void {
  const shift = 52 - cell.step * 2;
  const exact = interleaveExact(cell.lat, cell.lon);
  if (exact !== null && exact < 4503599627370496) {
    const scale = 2 ** shift;
    out.min = exact * scale;
    out.max = (exact + 1) * scale;
    return;
  }
  // A cell past the grid's edge: 53+ bits, rounded to doubles as C converts uint64_t.
  const bits = interleaveBig(cell.lat, cell.lon);
  out.min = Number(bits << BigInt(shift));
  out.max = Number((bits + 1n) << BigInt(shift));
}

/** True for a zeroed (skipped) cell. */
export function isZeroCell(cell: GeoCell): boolean {
  return cell.step === 0 && cell.lon === 0 && cell.lat === 0;
}

/** Same cell (Redis compares bits and step). */
export function sameCell(a: GeoCell, b: GeoCell): boolean {
  return a.lon === b.lon && a.lat === b.lat && a.step === b.step;
}

// ─── distances ──────────────────────────────────────────────────────────────────────────────────────────

/** geohashGetLatDistance: metres along a meridian. */
export function geohashGetLatDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(lat2d * D_R - lat1d * D_R);
}

/** geohashGetDistance: the haversine great-circle distance in metres. */
export function geohashGetDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lon1r = lon1d * D_R;
  const lon2r = lon2d * D_R;
  const v = Math.sin((lon2r - lon1r) / 2);
  // Same longitude: the cheaper meridian distance, as Redis takes it.
  if (v === 0.0) return geohashGetLatDistance(lat1d, lat2d);
  const lat1r = lat1d * D_R;
  const lat2r = lat2d * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/**
 * geoWithinShape's test for a decoded point: its distance from the centre in metres when inside the
 * shape, else -1. A box is tested by latitude distance, then by the longitude distance along the
 * point's own parallel, as Redis does.
 */
export function distanceWithinShape(shape: GeoShape, lon: number, lat: number): number {
  if (!shape.box) {
    // geohashGetDistance(shape.lon, shape.lat, lon, lat), the centre's terms taken from prepareShape.
    if (shape.radiusM === undefined) prepareShape(shape);
    const radiusM = shape.radiusM as number;
    const lat1r = shape.latR as number;
    const lat2r = lat * D_R;
    // A great circle is never shorter than its latitude difference along a meridian: points farther than
    // the radius that way are out (with a margin far above rounding, so no boundary point is decided
    // differently from the full formula).
    if (EARTH_RADIUS_IN_METERS * Math.abs(lat2r - lat1r) > radiusM * (1 + 1e-9)) return -1;
    const v = Math.sin((lon * D_R - (shape.lonR as number)) / 2);
    let d: number;
    if (v === 0.0) {
      d = geohashGetLatDistance(shape.lat, lat);
    } else {
      const u = Math.sin((lat2r - lat1r) / 2);
      const a = u * u + (shape.cosLat as number) * Math.cos(lat2r) * v * v;
      d = 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
    }
    return d > radiusM ? -1 : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (geohashGetLatDistance(lat, shape.lat) > heightM / 2) return -1;
  if (geohashGetDistance(lon, lat, shape.lon, lat) > widthM / 2) return -1;
  return geohashGetDistance(shape.lon, shape.lat, lon, lat);
}
