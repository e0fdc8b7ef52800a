import assert from "node:assert/strict";
import { test } from "node:test";
import { distanceText, humanCoordinate, printfFixed } from "../../../src/server/commands/geo.js";
import {
  cellScoreRange,
  decodeGeohashScore,
  type GeoXY,
  geohashCalculateAreasByShape,
  geohashGetDistance,
  geohashScoreText,
  geohashString,
  isZeroCell,
} from "../../../src/store/geohash.js";

/**
 * The geohash arithmetic and Redis's number formatting, checked against values redis-server 7.0 (and
 * glibc's printf) gave for the same inputs, so the encoding is pinned even where no redis-server runs.
 * The differential test (test/interop/geo-diff.test.ts) compares everything live.
 */

const decoded = (score: number): [string, string] => {
  const xy: GeoXY = { lon: 0, lat: 0 };
  decodeGeohashScore(score, xy);
  return [humanCoordinate(xy.lon), humanCoordinate(xy.lat)];
};

test("GEOADD scores, GEOPOS positions and GEOHASH strings as redis-server gives them", () => {
  assert.equal(geohashScoreText(13.361389, 38.115556), "3479099956230698");
  assert.equal(geohashScoreText(0, 0), "3377699720527872");
  assert.equal(geohashScoreText(-180, -85.05112878), "0");
  // At the top edge both indexes reach 2^26: bits 52 and 53 are set, as in Redis.
  assert.equal(geohashScoreText(180, 85.05112878), "13510798882111488");
  assert.deepEqual(decoded(3479099956230698), ["13.36138933897018433", "38.11555639549629859"]);
  assert.deepEqual(decoded(13510798882111488), ["180", "85.0511287799999991"]);
  assert.deepEqual(decoded(0), ["-179.99999731779098511", "-85.05112751263942528"]);
  assert.equal(geohashString(3479099956230698), "sqc8b49rny0");
  // Scores no GEOADD makes decode through C's (uint64_t) cast: -1 is all ones, inf is 0, -inf is 2^63.
  assert.deepEqual(decoded(-1), ["180", "85.0511287799999991"]);
  assert.deepEqual(decoded(Number.POSITIVE_INFINITY), decoded(0));
  assert.deepEqual(decoded(Number.NEGATIVE_INFINITY), ["180", "-85.05112751263942528"]);
  assert.deepEqual(decoded(1.5), ["-179.99999731779098511", "-85.05112497791824921"]);
  assert.equal(geohashString(-1), "bp05b5048p0");
  assert.equal(geohashString(Number.POSITIVE_INFINITY), "00bh0hbj200");
});

test("distances with Redis's earth radius and four decimals", () => {
  const d = geohashGetDistance(13.361389338970184, 38.1155563954963, 15.087267458438873, 37.50266842333162);
  assert.equal(distanceText(d), "166274.1516");
  assert.equal(distanceText(d / 1000), "166.2742");
  assert.equal(distanceText(0), "0.0000");
  // llrint of d * 10^4 rounds half to even: 0.5 → 0, 2.5 → 2, 3.5 → 4 (0.00015 * 10^4 is below 1.5).
  assert.equal(distanceText(0.00005), "0.0000");
  assert.equal(distanceText(0.00025), "0.0002");
  assert.equal(distanceText(0.00035), "0.0004");
  assert.equal(distanceText(0.00015), "0.0001");
  assert.equal(distanceText(1.00005), "1.0001");
});

test("%.17Lf and %f as glibc prints them, ties to even included", () => {
  for (const [x, want] of [
    // Exactly halfway at the 17th decimal (lowest bit 2^-18): glibc keeps an even digit.
    [3 + 2 ** -18, "3.00000381469726562"],
    [1 + 3 * 2 ** -18, "1.00001144409179688"],
    [-(3 + 2 ** -18), "-3.00000381469726562"],
    [0.0000019073486328125, "0.00000190734863281"],
    [180, "180"],
    [-0, "0"],
    [-1e-20, "0"],
  ] as const)
    assert.equal(humanCoordinate(x), want, String(x));
  for (const [x, want] of [
    [200, "200.000000"],
    [0.0078125, "0.007812"],
    [0.0234375, "0.023438"],
    [-0.0234375, "-0.023438"],
    [200.0078125, "200.007812"],
    [-0, "-0.000000"],
    [Number.POSITIVE_INFINITY, "inf"],
    [1e21, "1000000000000000000000.000000"],
  ] as const)
    assert.equal(printfFixed(x, 6), want, String(x));
});

test("the nine search cells and their score ranges for a radius search", () => {
  // geohashCalculateAreasByShapeWGS84 for GEORADIUS ... 15 37 200 km, from Redis's own code.
  const cells = geohashCalculateAreasByShape({
    box: false,
    lon: 15,
    lat: 37,
    conversion: 1000,
    radius: 200,
    width: 0,
    height: 0,
  });
  const range = { min: 0, max: 0 };
  const ranges = cells.map((c) => {
    if (isZeroCell(c)) return "zero";
    cellScoreRange(c, range);
    return `${range.min}:${range.max}`;
  });
  assert.deepEqual(ranges, [
    "3475556255399936:3476655767027712",
    "3478854790283264:3479954301911040",
    "zero",
    "3477755278655488:3478854790283264",
    "zero",
    "3481053813538816:3482153325166592",
    "zero",
    "zero",
    "zero",
  ]);
});
