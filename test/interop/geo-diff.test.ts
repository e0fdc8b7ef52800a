import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RespDecoder } from "../../src/resp/resp-decoder.js";
import type { RespValue } from "../../src/resp/resp-value.js";
import { type Cmd, sameSequence } from "../helpers/diff-sequence.js";
import { seededRandom } from "../helpers/differential.js";
import { waitBlockedClients as waitBlocked } from "../helpers/info.js";
import { NO_REDIS, type ServerProcess, startRedis, startTandem } from "../helpers/processes.js";
import { pick, randInt, testSeed } from "../helpers/random-diff.js";
import type { RawClient } from "../helpers/raw-client.js";
import { ReplicationStream } from "../helpers/replication-stream.js";

/**
 * The GEO commands against Debian's redis-server 7.0, byte for byte: every command, option and error
 * (RESP2 and RESP3), keyspace events, what replicas receive, waking blocked clients, then a seeded random
 * run of 12,000 geo commands over points spread everywhere, the poles' limits and the antimeridian
 * included. Search results are compared in their order, unsorted and COUNT ... ANY ones too: Tandem scans
 * the same cells in the same order and sorts as Redis does (a stable sort, or Redis's partial quicksort
 * under COUNT). The one allowance, in the random run only, is for full-precision distances, which depend
 * on the platform's libm (see STORED_RELATIVE below).
 */

const SICILY: Cmd = ["GEOADD", "Sicily", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"];

describe("geo commands vs redis-server", { skip: NO_REDIS }, () => {
  let tandem: ServerProcess;
  let redis: ServerProcess;
  let t: RawClient;
  let r: RawClient;
  const extra: RawClient[] = [];
  const streams: ReplicationStream[] = [];

  before(async () => {
    [tandem, redis] = await Promise.all([
      startTandem({ args: ["--notify-keyspace-events", "KEA"] }),
      startRedis({ args: ["--notify-keyspace-events", "KEA"] }),
    ]);
    [t, r] = await Promise.all([tandem.client(), redis.client()]);
  });

  after(async () => {
    for (const c of [t, r, ...extra]) c?.close();
    for (const s of streams) s.close();
    await Promise.all([tandem?.stop(), redis?.stop()]);
  });

  async function client(server: ServerProcess): Promise<RawClient> {
    const c = await server.client();
    extra.push(c);
    return c;
  }

  const run = (cmds: Cmd[]) => sameSequence(t, r, [["FLUSHALL"], ...cmds]);

  it("GEOADD: NX, XX, CH, coordinates at and past the limits, and its errors", async () => {
    await run([
      SICILY,
      ["ZRANGE", "Sicily", 0, -1, "WITHSCORES"],
      ["GEOADD", "Sicily", "NX", 13.5, 38.2, "Palermo", 14.0, 37.0, "Enna"],
      ["GEOADD", "Sicily", "XX", 13.5, 38.2, "Palermo", 15.5, 37.0, "Siracusa"],
      ["GEOADD", "Sicily", "XX", "CH", 13.6, 38.3, "Palermo", 15.5, 37.0, "Siracusa"],
      ["GEOADD", "Sicily", "CH", 13.6, 38.3, "Palermo", 12.5, 37.8, "Marsala"],
      ["GEOADD", "Sicily", "ch", "nx", 1, 2, "Palermo", 3, 4, "Other"],
      ["GEOADD", "Sicily", "CH", "XX", "CH", 13.6, 38.3, "Palermo"],
      ["ZRANGE", "Sicily", 0, -1, "WITHSCORES"],
      ["GEOADD", "Sicily", "NX", "XX", 1, 2, "x"],
      ["GEOADD", "Sicily", "GT", 1, 2, "x"],
      ["GEOADD", "Sicily", "GT", 1, 2],
      ["GEOADD", "Sicily", "CH", "CH", "CH"],
      ["GEOADD", "Sicily", 1, 2, "a", 3],
      ["GEOADD", "Sicily", 1, 2],
      ["GEOADD", "Sicily", "NX", 1, 2],
      ["GEOADD", "Sicily", 200, 100, "x"],
      ["GEOADD", "Sicily", -180.0000001, 0, "x"],
      ["GEOADD", "Sicily", 0, 85.05112879, "x"],
      ["GEOADD", "Sicily", 0, -85.0511288, "x"],
      ["GEOADD", "Sicily", "inf", 0, "x"],
      ["GEOADD", "Sicily", 0, "-inf", "x"],
      ["GEOADD", "Sicily", "1e400", 0, "x"],
      ["GEOADD", "Sicily", -0.0000005, "-0", "x"],
      ["GEOADD", "Sicily", 0.0000015, "181.00000050", "x"],
      ["GEOADD", "Sicily", "1e21", "-1e30", "x"],
      ["GEOADD", "Sicily", "nan", 0, "x"],
      ["GEOADD", "Sicily", "abc", 0, "x"],
      ["GEOADD", "Sicily", 0, "", "x"],
      ["GEOADD", "Sicily", " 1", 0, "x"],
      ["GEOADD", "Sicily", 1, 2, "ok", 500, 2, "bad"],
      ["ZSCORE", "Sicily", "ok"],
      // Accepted spellings of numbers (strtod's), and the exact limits.
      ["GEOADD", "edge", "0x10", "1e1", "hex", "+5", ".5", "plus", "-0", "-0", "negzero"],
      ["GEOADD", "edge", 180, 85.05112878, "ne", -180, -85.05112878, "sw", 180, -85.05112878, "se"],
      ["GEOADD", "edge", -180, 85.05112878, "nw", 0, 0, "origin", "179.99999999", 0, "anti"],
      ["GEOADD", "edge", 13.361389, 38.115556, "", 1, 1, "bin\u0000ary\r\n"],
      ["ZRANGE", "edge", 0, -1, "WITHSCORES"],
      [
        "GEOPOS",
        "edge",
        "hex",
        "plus",
        "negzero",
        "ne",
        "sw",
        "se",
        "nw",
        "origin",
        "anti",
        "",
        "bin\u0000ary\r\n",
      ],
      ["SET", "str", "v"],
      ["GEOADD", "str", 1, 2, "x"],
      ["GEOADD", "str", 1, 200, "x"],
      ["GEOADD", "new", "XX", 1, 2, "x"],
      ["EXISTS", "new"],
    ]);
  });

  it("GEOPOS, GEOHASH and GEODIST, with units, missing members and any score", async () => {
    await run([
      SICILY,
      ["GEOPOS", "Sicily", "Palermo", "Catania", "NonExisting"],
      ["GEOPOS", "nokey", "a", "b"],
      ["GEOHASH", "Sicily", "Palermo", "Catania", "NonExisting"],
      ["GEOHASH", "nokey", "a"],
      ["GEODIST", "Sicily", "Palermo", "Catania"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "m"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "KM"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "Mi"],
      ["GEODIST", "Sicily", "Palermo", "Palermo"],
      ["GEODIST", "Sicily", "Palermo", "Nope"],
      ["GEODIST", "Sicily", "Nope", "Palermo", "km"],
      ["GEODIST", "nokey", "a", "b"],
      ["GEODIST", "nokey", "a", "b", "yards"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "yards"],
      ["GEODIST", "Sicily", "Palermo", "Catania", "km", "extra"],
      ["GEODIST", "Sicily", "Palermo"],
      ["GEOPOS", "Sicily"],
      ["GEOHASH", "Sicily"],
      ["GEOADD", "w", -180, 0, "a", 180, 0, "b", 0, 85.05112878, "n", 0, -85.05112878, "s", 90, 0, "c"],
      ["GEODIST", "w", "a", "b"],
      ["GEODIST", "w", "n", "s", "km"],
      ["GEODIST", "w", "a", "c", "mi"],
      ["GEOHASH", "w", "a", "b", "n", "s", "c"],
      // Scores that no GEOADD produces still decode the way Redis's (uint64_t) cast reads them.
      [
        "ZADD",
        "raw",
        -1,
        "neg",
        "inf",
        "pinf",
        "-inf",
        "ninf",
        1.5,
        "frac",
        0,
        "zero",
        4503599627370497,
        "b52",
        "9007199254740993",
        "b53",
        "1e300",
        "huge",
        "-1e30",
        "nbig",
        "-2.5",
        "nfrac",
        18014398509481984,
        "b54",
      ],
      ["GEOPOS", "raw", "neg", "pinf", "ninf", "frac", "zero", "b52", "b53", "huge", "nbig", "nfrac", "b54"],
      ["GEOHASH", "raw", "neg", "pinf", "ninf", "frac", "zero", "b52", "b53", "huge", "nbig", "nfrac", "b54"],
      ["GEODIST", "raw", "neg", "zero"],
      ["GEOSEARCH", "raw", "FROMLONLAT", -180, -85.05112878, "BYRADIUS", 100, "km", "WITHHASH", "WITHCOORD"],
      ["GEOSEARCH", "raw", "FROMMEMBER", "frac", "BYBOX", 100, 100, "km", "WITHHASH", "WITHDIST"],
      ["GEORADIUSBYMEMBER", "raw", "neg", 100, "km", "WITHCOORD"],
      ["GEODIST", "raw", "b53", "huge", "km"],
      ["SET", "str", "v"],
      ["GEOPOS", "str", "a"],
      ["GEOHASH", "str", "a"],
      ["GEODIST", "str", "a", "b"],
      ["GEODIST", "str", "a", "b", "parsec"],
    ]);
  });

  it("GEORADIUS and GEORADIUSBYMEMBER (and _RO): every option, STORE/STOREDIST and the errors", async () => {
    const places: Cmd = [
      "GEOADD",
      "Sicily",
      13.361389,
      38.115556,
      "Palermo",
      15.087269,
      37.502669,
      "Catania",
      13.583333,
      37.316667,
      "Agrigento",
      15.554,
      38.1938,
      "Messina",
      14.27,
      37.49,
      "Caltanissetta",
      // Two members at one spot: equal distances, so their order shows how Redis sorts ties.
      15.087269,
      37.502669,
      "CataniaTwin",
    ];
    const withs: Cmd[] = [
      [],
      ["WITHDIST"],
      ["WITHCOORD"],
      ["WITHHASH"],
      ["WITHDIST", "WITHHASH", "WITHCOORD"],
    ];
    const cmds: Cmd[] = [places];
    for (const w of withs) {
      cmds.push(["GEORADIUS", "Sicily", 15, 37, 200, "km", ...w]);
      cmds.push(["GEORADIUS", "Sicily", 15, 37, 200, "km", "ASC", ...w]);
      cmds.push(["GEORADIUS_RO", "Sicily", 15, 37, 200, "km", "DESC", ...w]);
      cmds.push(["GEORADIUSBYMEMBER", "Sicily", "Palermo", 200, "km", ...w]);
      cmds.push(["GEORADIUSBYMEMBER_RO", "Sicily", "Catania", 150, "km", "DESC", "COUNT", 3, ...w]);
    }
    cmds.push(
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 2],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 2, "DESC"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 1, "ANY"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 3, "ANY", "ASC"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "ANY", "COUNT", 3, "DESC", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "count", "9223372036854775807"],
      ["GEORADIUS", "Sicily", 15, 37, 20000, "km", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, "inf", "m", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 0, "m"],
      ["GEORADIUSBYMEMBER", "Sicily", "Catania", 0, "m", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 100, "mi", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 300000, "ft", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 10, "km"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "dst"],
      ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "STOREDIST", "dst", "COUNT", 2],
      ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
      ["GEORADIUSBYMEMBER", "Sicily", "Palermo", 100, "km", "STORE", "dst2", "STOREDIST", "dst3"],
      ["EXISTS", "dst2", "dst3"],
      ["ZRANGE", "dst3", 0, -1, "WITHSCORES"],
      ["GEORADIUS", "Sicily", 15, 37, 1, "m", "STORE", "dst"],
      ["EXISTS", "dst"],
      ["GEORADIUS", "nokey", 15, 37, 1, "km", "STORE", "dst3"],
      ["EXISTS", "dst3"],
      ["GEORADIUS", "nokey", 15, 37, 1, "km"],
      ["GEORADIUSBYMEMBER", "nokey", "x", 1, "km"],
      ["GEORADIUSBYMEMBER", "nokey", "x", "notanumber", "parsecs", "WITHDIST"],
      ["GEORADIUSBYMEMBER", "nokey", "x", 1, "km", "STORE", "Sicily2"],
      ["GEORADIUSBYMEMBER", "nokey", "x", 1, "km", "BOGUS"],
      ["GEORADIUSBYMEMBER", "Sicily", "Nobody", 1, "km"],
      ["GEORADIUSBYMEMBER", "Sicily", "Nobody", "bad", "km"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "dst", "WITHDIST"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHCOORD", "STOREDIST", "dst"],
      ["GEORADIUS_RO", "Sicily", 15, 37, 200, "km", "STORE", "dst"],
      ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", 200, "km", "STOREDIST", "dst"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", 0],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", -3],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", "x"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "COUNT", "1.5"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "ANY"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "FROMMEMBER", "Palermo"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "BYRADIUS", 1, "km"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "NOSUCH"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "parsec"],
      ["GEORADIUS", "Sicily", 15, 37, -1, "km"],
      ["GEORADIUS", "Sicily", 15, 37, "x", "km"],
      ["GEORADIUS", "Sicily", 15, 37, "nan", "km"],
      ["GEORADIUS", "Sicily", 200, 37, "x", "km"],
      ["GEORADIUS", "Sicily", "x", 37, 1, "km"],
      ["GEORADIUS", "Sicily", 15, 86, 1, "km"],
      ["GEORADIUS", "Sicily", 15, 37, 1],
      ["GEORADIUSBYMEMBER", "Sicily", "Palermo", 1],
      ["SET", "str", "v"],
      ["GEORADIUS", "str", 15, 37, 1, "km"],
      ["GEORADIUS", "str", 200, 37, 1, "km"],
      ["GEORADIUSBYMEMBER", "str", "x", 1, "km"],
      ["GEORADIUS", "Sicily", 15, 37, 200, "km", "STORE", "str"],
      ["TYPE", "str"],
    );
    await run(cmds);
  });

  it("GEOSEARCH and GEOSEARCHSTORE: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX, options and errors", async () => {
    await run([
      [
        "GEOADD",
        "Sicily",
        13.361389,
        38.115556,
        "Palermo",
        15.087269,
        37.502669,
        "Catania",
        12.758489,
        38.788135,
        "edge1",
        17.24151,
        38.788135,
        "edge2",
        15.087269,
        37.502669,
        "CataniaTwin",
      ],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "ASC"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 300, "km", "DESC", "WITHDIST"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "ASC", "WITHCOORD", "WITHDIST"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "WITHHASH", "COUNT", 2],
      ["GEOSEARCH", "Sicily", "frommember", "Catania", "bybox", 1, 1, "m", "withdist"],
      ["GEOSEARCH", "Sicily", "BYBOX", 300, 600, "mi", "FROMLONLAT", 15, 37, "COUNT", 1, "ANY"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", "inf", 10, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 0, 0, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", 1, "m"],
      [
        "GEOSEARCH",
        "Sicily",
        "FROMLONLAT",
        1,
        1,
        "FROMLONLAT",
        15,
        37,
        "BYRADIUS",
        1,
        "m",
        "BYRADIUS",
        200,
        "km",
      ],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "BYBOX", 1, 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 1, 1, "km", "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "BYRADIUS", 1, "km"],
      ["GeoSearch", "Sicily", "BYRADIUS", 1, "km", "ASC"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "ASC"],
      ["geosearch", "Sicily", "FROMMEMBER", "Palermo", "WITHDIST"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Nobody", "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "STORE", "x"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "STOREDIST"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "ANY"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km", "COUNT", 0],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "-1", "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "kms"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "w", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 1, "h", "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "w", "h", "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", -1, 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 1, -1, "furlong"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 1, 1, "furlong"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 1, 1],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", 15, 91, "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMLONLAT", "x", 1, "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 1],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", -1, "km"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYBOX", 1, 1, "km", "WITHDIST", "COUNT", 3, "ANY"],
      ["GEOSEARCH", "nokey", "FROMMEMBER", "x"],
      ["GEOSEARCH", "nokey", "BYRADIUS", 1, "km"],
      // GEOSEARCHSTORE
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km"],
      ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km", "STOREDIST"],
      ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
      [
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        500,
        "mi",
        "DESC",
        "COUNT",
        2,
        "STOREDIST",
      ],
      ["ZRANGE", "dst", 0, -1, "WITHSCORES"],
      [
        "GEOSEARCHSTORE",
        "Sicily2",
        "Sicily",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        500,
        "km",
        "COUNT",
        1,
        "ANY",
      ],
      ["ZRANGE", "Sicily2", 0, -1, "WITHSCORES"],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
      ["EXISTS", "dst"],
      ["GEOSEARCHSTORE", "Sicily2", "nokey", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
      ["EXISTS", "Sicily2"],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "WITHDIST"],
      [
        "GEOSEARCHSTORE",
        "dst",
        "Sicily",
        "FROMLONLAT",
        15,
        37,
        "BYRADIUS",
        200,
        "km",
        "WITHHASH",
        "STOREDIST",
      ],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "STORE", "x"],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37],
      ["geosearchstore", "dst", "Sicily", "BYRADIUS", 1, "km"],
      ["GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km", "ANY"],
      // The source itself as the destination: results are gathered first, then stored.
      ["GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", 10, "km"],
      ["ZRANGE", "Sicily", 0, -1, "WITHSCORES"],
      ["SET", "str", "v"],
      ["GEOSEARCH", "str", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km"],
      ["GEOSEARCH", "str", "BOGUS"],
      ["GEOSEARCHSTORE", "dst", "str", "FROMLONLAT", 15, 37, "BYRADIUS", 1, "km"],
      ["GEOSEARCHSTORE", "str", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 1000, "km"],
      ["TYPE", "str"],
    ]);
  });

  it("searches near the poles, across the antimeridian and with many equidistant points", async () => {
    const cmds: Cmd[] = [];
    // A ring of points around the antimeridian and each pole, and a grid whose points share positions.
    const add: Cmd = ["GEOADD", "w"];
    for (let i = 0; i < 72; i++) {
      add.push(-180 + i * 5, 85.05112878 - (i % 3) * 0.1, `n${i}`);
      add.push(-180 + i * 5, -85.05112878 + (i % 3) * 0.1, `s${i}`);
      add.push(i % 2 ? 179.9 + (i % 5) * 0.001 : -179.9 - (i % 5) * 0.001, -60 + i * 1.7, `a${i}`);
    }
    for (let i = 0; i < 120; i++) add.push(10 + (i % 4) * 0.01, 45 + (i % 3) * 0.01, `g${i}`);
    cmds.push(add);
    for (const [lon, lat] of [
      [180, 0],
      [-180, 10],
      [179.99, -30],
      [0, 85.05112878],
      [90, -85.05112878],
      [-120, 84],
      [10.015, 45.01],
      [10, 45],
    ])
      for (const radius of [1, 50, 500, 3000, 20000])
        cmds.push(["GEOSEARCH", "w", "FROMLONLAT", lon, lat, "BYRADIUS", radius, "km", "WITHDIST"]);
    for (const member of ["n0", "s35", "a1", "a70", "g0", "g7"]) {
      cmds.push(["GEOSEARCH", "w", "FROMMEMBER", member, "BYBOX", 2000, 500, "km", "DESC", "WITHCOORD"]);
      cmds.push(["GEORADIUSBYMEMBER", "w", member, 1500, "km", "WITHDIST", "COUNT", 7]);
      cmds.push(["GEOSEARCH", "w", "FROMMEMBER", member, "BYRADIUS", 5000, "km", "COUNT", 50, "DESC"]);
      cmds.push(["GEOSEARCH", "w", "FROMMEMBER", member, "BYRADIUS", 5000, "km", "COUNT", 5, "ANY"]);
    }
    // Equal distances with COUNT: Redis's partial quicksort decides which ties make the cut.
    for (const count of [1, 3, 7, 13, 41, 60, 119, 200])
      for (const order of ["ASC", "DESC"])
        cmds.push([
          "GEOSEARCH",
          "w",
          "FROMLONLAT",
          10.005,
          45.005,
          "BYRADIUS",
          10,
          "km",
          "COUNT",
          count,
          order,
        ]);
    cmds.push(["GEOSEARCH", "w", "FROMLONLAT", 10.005, 45.005, "BYRADIUS", 10, "km", "ASC"]);
    cmds.push(["GEOSEARCH", "w", "FROMLONLAT", 10.005, 45.005, "BYRADIUS", 10, "km", "DESC", "WITHDIST"]);
    cmds.push(["GEOSEARCHSTORE", "d", "w", "FROMLONLAT", 10.005, 45.005, "BYRADIUS", 10, "km", "COUNT", 9]);
    cmds.push(["ZRANGE", "d", 0, -1, "WITHSCORES"]);
    await run(cmds);
  });

  it("answers in RESP3 like Redis 7.0 (coordinates as doubles, nulls)", async () => {
    await Promise.all([t.raw("HELLO", 3), r.raw("HELLO", 3)]);
    try {
      await run([
        SICILY,
        ["GEOPOS", "Sicily", "Palermo", "Nope", "Catania"],
        ["GEOPOS", "nokey", "a"],
        ["GEOHASH", "Sicily", "Palermo", "Nope"],
        ["GEODIST", "Sicily", "Palermo", "Catania", "km"],
        ["GEODIST", "Sicily", "Palermo", "Nope"],
        ["GEODIST", "nokey", "a", "b"],
        ["GEORADIUS", "Sicily", 15, 37, 200, "km", "WITHDIST", "WITHHASH", "WITHCOORD"],
        ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", 500, 500, "km", "WITHCOORD", "COUNT", 1],
        ["GEOSEARCH", "Sicily", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
        ["GEOSEARCH", "nokey", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
        ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "STOREDIST"],
        ["ZRANGE", "d", 0, -1, "WITHSCORES"],
      ]);
    } finally {
      await Promise.all([t.raw("HELLO", 2), r.raw("HELLO", 2)]);
    }
  });

  it("inside MULTI, and on the keyspace event channels", async () => {
    const [tSub, rSub] = await Promise.all([client(tandem), client(redis)]);
    await Promise.all([tSub.raw("PSUBSCRIBE", "__key*__:*"), rSub.raw("PSUBSCRIBE", "__key*__:*")]);
    // Subscribed before anything is published, so the replies to these two are the confirmations.
    await Promise.all([tSub.raw("SUBSCRIBE", "end"), rSub.raw("SUBSCRIBE", "end")]);
    await run([
      ["MULTI"],
      SICILY,
      ["GEOADD", "Sicily", "XX", "CH", 13, 38, "Palermo"],
      ["GEOADD", "Sicily", "NX", 13, 38, "Palermo"],
      ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 500, "km"],
      ["GEOSEARCHSTORE", "d1", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 500, "km"],
      ["GEORADIUS", "Sicily", 15, 37, 500, "km", "STORE", "d2"],
      ["GEORADIUSBYMEMBER", "Sicily", "Palermo", 500, "km", "STOREDIST", "d3"],
      ["GEOSEARCHSTORE", "d1", "Sicily", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km"],
      ["GEORADIUS", "nokey", 15, 37, 500, "km", "STORE", "d2"],
      ["GEOADD", "Sicily", 200, 0, "bad"],
      ["EXEC"],
      ["PUBLISH", "end", "x"],
    ]);
    const events = async (sub: RawClient) => {
      const out: string[] = [];
      for (;;) {
        const [f] = await sub.read(1);
        const text = f.toString("latin1");
        if (text.includes("$3\r\nend\r\n")) return out;
        out.push(text);
      }
    };
    const [mine, theirs] = await Promise.all([events(tSub), events(rSub)]);
    assert.deepEqual(mine, theirs);
    assert.ok(
      mine.some((e) => e.includes("geosearchstore")) && mine.some((e) => e.includes("georadiusstore")),
    );
  });

  /** Blocked clients woken by geo writes, and the replication stream of every geo write, on one server. */
  async function scenarios(server: ServerProcess): Promise<string[]> {
    const out: string[] = [];
    const admin = await client(server);
    const note = async (...args: Cmd) => out.push(`${args.join(" ")} -> ${await admin.text(...args)}`);
    await admin.call("FLUSHALL");
    const stream = await ReplicationStream.open(server.port);
    streams.push(stream);
    await stream.ready();
    const waiter = await client(server);

    // GEOADD creating the key wakes a BZPOPMIN waiting on it (it is a ZADD underneath).
    let p = waiter.raw("BZPOPMIN", "g", 0);
    await waitBlocked(admin, 1);
    await note("GEOADD", "g", "CH", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania");
    out.push((await p).toString("latin1"));
    await note("GEOADD", "g", "NX", 13.361389, 38.115556, "Palermo");
    await note("GEOADD", "g", "XX", "CH", 13.5, 38.2, "Palermo", 1, 1, "absent");
    await note("GEOADD", "g", 200, 0, "bad");
    // The stores wake waiters on the destination they create.
    const stores: [string, Cmd][] = [
      ["d1", ["GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 500, "km", "STOREDIST"]],
      ["d2", ["GEORADIUS", "g", 15, 37, 500, "km", "STORE", "d2"]],
      ["d3", ["GEORADIUSBYMEMBER", "g", "Palermo", 500, "km", "STOREDIST", "d3", "COUNT", 1]],
    ];
    for (const [dst, cmd] of stores) {
      p = waiter.raw("BZPOPMAX", dst, 0);
      await waitBlocked(admin, 1);
      await note(...cmd);
      out.push((await p).toString("latin1"));
    }
    // Read-only searches and no-op stores propagate nothing; a store that deletes propagates as sent.
    await note("GEORADIUS", "g", 15, 37, 500, "km");
    await note("GEOSEARCHSTORE", "none", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km");
    await note("GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", 15, 37, "BYRADIUS", 500, "km");
    await note("GEOSEARCHSTORE", "d1", "g", "FROMLONLAT", 0, 0, "BYRADIUS", 1, "km");
    await note("GEORADIUS", "nokey", 15, 37, 500, "km", "STORE", "d2");
    out.push(
      ...(
        await admin.pipeline([
          ["MULTI"],
          ["GEOADD", "m", 1, 2, "a", 3, 4, "b"],
          ["GEOSEARCHSTORE", "m2", "m", "FROMMEMBER", "a", "BYRADIUS", 1000, "km"],
          ["EXEC"],
        ])
      ).map(String),
    );
    await admin.call("SET", "end-of-scenarios", "1");
    await stream.until("SET", "end-of-scenarios", "1");
    for (const c of stream.commands) out.push(`propagated: ${c.join(" ")}`);
    return out;
  }

  it("wakes blocked clients and propagates every geo write as Redis 7.0 does", async () => {
    const [mine, theirs] = [await scenarios(tandem), await scenarios(redis)];
    assert.deepEqual(mine, theirs);
    // GEOADD reaches replicas as the ZADD Redis builds; the stores as sent.
    assert.ok(mine.some((l) => l.startsWith("propagated: zadd g CH ")));
    assert.ok(mine.some((l) => l.startsWith("propagated: GEOSEARCHSTORE d1 g")));
  });

  it("randomized: 12,000 seeded geo commands give the same replies", async () => {
    const seed = testSeed();
    console.log(`# geo random seed ${seed} (replay with TEST_SEED=${seed})`);
    await Promise.all([t.raw("FLUSHALL"), r.raw("FLUSHALL")]);
    const stats = await runGeoRandomDiff(t, r, seed, 12_000);
    console.log(
      `# ${stats.total} commands, ${stats.exact} replies byte-identical, ${stats.nearDistance} with a distance ` +
        `off by one unit in the 4th decimal, ${stats.nearStored} with STOREDIST scores within ${STORED_RELATIVE} (relative)`,
    );
    // The libm differences are rare: a systematic formatting or search error would show far more often.
    assert.ok(stats.nearDistance <= stats.total / 1000, `too many near distances (seed ${seed})`);
    for (const k of GEO_KEYS.filter((k) => k !== "dst"))
      await sameSequence(t, r, [["ZRANGE", k, 0, -1, "WITHSCORES"]]);
  });
});

// ─── comparing replies ──────────────────────────────────────────────────────────────────────────────────

/**
 * Distances are the one thing not bit-reproducible: Redis computes them with the platform's libm (glibc
 * even picks a different sin/cos/asin for CPUs with and without FMA, so redis-server itself answers
 * differently on two machines), Tandem with V8's. Those differ in the last bit of a few percent of calls.
 * Printed with four decimals (WITHDIST, GEODIST) that almost never shows; a STOREDIST score shows all 17
 * digits, and near antipodal points the haversine's asin(sqrt(a)) amplifies a last-bit difference of `a` a
 * thousandfold. So, and only there, the random run accepts: a 4-decimal distance one unit of the last
 * decimal apart, and a STOREDIST score equal to 1e-11 relative (then members are compared as a member →
 * score map, as two nearly equal distances may sort either way). Positions, hashes, members, orders, errors and every
 * other byte must be identical, and the targeted tests above compare everything exactly.
 */
const STORED_RELATIVE = 1e-11;

type Verdict = "exact" | "nearDistance" | "nearStored" | "differs";

const FOUR_DECIMALS = /^\d+\.\d{4}$/;

function nearFourDecimals(a: string, b: string): boolean {
  if (!FOUR_DECIMALS.test(a) || !FOUR_DECIMALS.test(b)) return false;
  const units = (s: string) => BigInt(s.replace(".", ""));
  const d = units(a) - units(b);
  return d === 1n || d === -1n;
}

function nearScore(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  // Geohash scores (STORE) are integers: those must be equal.
  if (Number.isInteger(x) || Number.isInteger(y)) return false;
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= STORED_RELATIVE * Math.max(x, y);
}

/** Compares two decoded replies; "nearDistance" when only 4-decimal distances differed by one unit. */
function compareValues(a: RespValue, b: RespValue): Verdict {
  if (a instanceof Buffer && b instanceof Buffer) {
    if (a.equals(b)) return "exact";
    return nearFourDecimals(a.toString("latin1"), b.toString("latin1")) ? "nearDistance" : "differs";
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return "differs";
    let verdict: Verdict = "exact";
    for (let i = 0; i < a.length; i++) {
      const v = compareValues(a[i], b[i]);
      if (v === "differs") return v;
      if (v !== "exact") verdict = v;
    }
    return verdict;
  }
  return JSON.stringify(a, bigints) === JSON.stringify(b, bigints) ? "exact" : "differs";
}

const bigints = (_k: string, x: unknown) => (typeof x === "bigint" ? String(x) : x);

/** A ZRANGE ... WITHSCORES of STOREDIST results: the same members, scores within STORED_RELATIVE. */
function compareStoredDistances(a: RespValue, b: RespValue): Verdict {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return "differs";
  const map = (v: RespValue[]) => {
    const m = new Map<string, string>();
    for (let i = 0; i < v.length; i += 2) m.set(String(v[i]), String(v[i + 1]));
    return m;
  };
  const [ma, mb] = [map(a), map(b)];
  let verdict: Verdict = "exact";
  for (const [member, score] of ma) {
    const other = mb.get(member);
    if (other === undefined) return "differs";
    if (other !== score) {
      if (!nearScore(score, other)) return "differs";
      verdict = "nearStored";
    }
  }
  if (verdict === "exact" && compareValues(a, b) !== "exact") verdict = "nearStored";
  return verdict;
}

interface GeoRandomCommand {
  args: string[];
  /** A ZRANGE of the store destination, which may hold STOREDIST distances. */
  storedDistances?: boolean;
}

/** Runs `total` generated commands pipelined to both servers in batches; fails at the first real difference. */
async function runGeoRandomDiff(t: RawClient, r: RawClient, seed: number, total: number) {
  const rnd = seededRandom(seed);
  const gen = geoCommandGenerator();
  const stats = { total: 0, exact: 0, nearDistance: 0, nearStored: 0 };
  const history: string[] = [];
  // GEO_STATS=1 prints how often each command got each kind of reply (to check the generator's reach).
  const kinds: Record<string, number> | null = process.env.GEO_STATS ? {} : null;
  while (stats.total < total) {
    const cmds: GeoRandomCommand[] = [];
    while (cmds.length < 200) cmds.push(...gen(rnd));
    const argvs = cmds.map((c) => c.args);
    const [ta, ra] = await Promise.all([t.pipeline(argvs), r.pipeline(argvs)]);
    for (let i = 0; i < cmds.length; i++) {
      let verdict: Verdict = ta[i].equals(ra[i]) ? "exact" : "differs";
      if (verdict === "differs") {
        const [a, b] = [RespDecoder.decodeAll(ta[i])[0], RespDecoder.decodeAll(ra[i])[0]];
        verdict = cmds[i].storedDistances ? compareStoredDistances(a, b) : compareValues(a, b);
      }
      if (verdict === "differs") {
        assert.fail(
          `seed ${seed}: command #${stats.total + i} ${JSON.stringify(argvs[i])} differs\n` +
            `  tandem: ${JSON.stringify(ta[i].toString("latin1"))}\n` +
            `   redis: ${JSON.stringify(ra[i].toString("latin1"))}\n` +
            `  preceding commands:\n    ${[...history, ...argvs.slice(0, i).map((x) => x.join(" "))].slice(-20).join("\n    ")}`,
        );
      }
      stats[verdict]++;
      if (kinds) {
        const k = `${argvs[i][0]} ${ta[i].toString("latin1", 0, 1)}${ta[i][0] === 42 ? (ta[i].toString("latin1", 1, 3) === "0\r" ? "empty" : "n") : ""}`;
        kinds[k] = (kinds[k] ?? 0) + 1;
      }
    }
    for (const argv of argvs) history.push(argv.join(" "));
    history.splice(0, Math.max(0, history.length - 20));
    stats.total += cmds.length;
  }
  if (kinds) console.log(`# reply kinds ${JSON.stringify(kinds, null, 1)}`);
  return stats;
}

// ─── the random command generator ───────────────────────────────────────────────────────────────────────

const GEO_KEYS = ["g0", "g1", "g2", "dst"];
const UNITS = ["m", "km", "ft", "mi", "M", "KM", "Ft", "mI"];

/** Redis's coordinate limits. */
const LAT_LIMIT = 85.05112878;

function geoCommandGenerator(): (rnd: () => number) => GeoRandomCommand[] {
  // Positions reused by several members (equal distances, ties in every sort), kept per run.
  const spots: [string, string][] = [];
  const members = Array.from({ length: 50 }, (_, i) => `m${i}`);

  /**
   * The destination after a store. A failed store leaves an earlier STOREDIST result in place, so every
   * read of it may hold distances; geohash scores are integers and stay exact (see nearScore).
   */
  const readDst = (): GeoRandomCommand => ({
    args: ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
    storedDistances: true,
  });

  return (rnd) => {
    const chance = (p: number) => rnd() < p;
    const int = (lo: number, hi: number) => randInt(rnd, lo, hi);
    const num = (lo: number, hi: number, digits = int(0, 9)) => (lo + rnd() * (hi - lo)).toFixed(digits);
    /** A longitude: anywhere, near the antimeridian, near 0, or exactly at the limits. */
    const lon = (): string => {
      const k = rnd();
      if (k < 0.4) return num(-180, 180);
      if (k < 0.6) return chance(0.5) ? num(179, 180, int(1, 12)) : num(-180, -179, int(1, 12));
      if (k < 0.7) return pick(rnd, ["180", "-180", "179.99999999", "-179.9999999", "0", "-0"]);
      if (k < 0.85) return num(9.9, 10.1, int(2, 6)); // a cluster
      return num(-1, 1, int(1, 10));
    };
    const lat = (): string => {
      const k = rnd();
      if (k < 0.4) return num(-LAT_LIMIT, LAT_LIMIT);
      if (k < 0.6) return chance(0.5) ? num(80, LAT_LIMIT, int(1, 8)) : num(-LAT_LIMIT, -80, int(1, 8));
      if (k < 0.7) return pick(rnd, [String(LAT_LIMIT), String(-LAT_LIMIT), "85.05", "-85", "66.5", "0"]);
      if (k < 0.85) return num(44.9, 45.1, int(2, 6));
      return num(-1, 1, int(1, 10));
    };
    const point = (): [string, string] => {
      if (spots.length > 0 && chance(0.2)) return pick(rnd, spots);
      const p: [string, string] = [lon(), lat()];
      if (chance(0.3)) spots.push(p);
      if (spots.length > 30) spots.shift();
      return p;
    };
    const key = () => pick(rnd, ["g0", "g0", "g1", "g1", "g2", "nokey"]);
    const member = () => pick(rnd, members);
    const unit = () => (chance(0.01) ? "yd" : pick(rnd, UNITS));
    /** A radius in the unit: from zero to beyond the earth's size, log-spread. */
    const radius = () => {
      if (chance(0.03)) return pick(rnd, ["0", "inf", "-1", "x"]);
      return (10 ** (rnd() * 8 - 1)).toPrecision(int(1, 8));
    };
    const withs = () => {
      const w: string[] = [];
      if (chance(0.4)) w.push("WITHDIST");
      if (chance(0.3)) w.push("WITHCOORD");
      if (chance(0.25)) w.push("WITHHASH");
      return w;
    };
    const order = () => (chance(0.5) ? [] : [pick(rnd, ["ASC", "DESC", "asc", "desc"])]);
    const count = () => {
      if (chance(0.55)) return [];
      const c = ["COUNT", String(chance(0.02) ? 0 : int(1, 25))];
      if (chance(0.35)) c.push("ANY");
      return c;
    };
    /** Options in a random order, as Redis accepts them anywhere after the fixed arguments. */
    const shuffle = (groups: string[][]) => {
      for (let i = groups.length - 1; i > 0; i--) {
        const j = int(0, i);
        [groups[i], groups[j]] = [groups[j], groups[i]];
      }
      return groups.flat();
    };

    const x = rnd();
    if (x < 0.22) {
      const cmd = ["GEOADD", key()];
      if (chance(0.3)) cmd.push(pick(rnd, ["NX", "XX", "CH", "nx", "xx"]));
      if (chance(0.2)) cmd.push("CH");
      for (let i = int(1, 6); i > 0; i--) cmd.push(...point(), member());
      if (chance(0.02)) cmd.push("181", "0", "bad");
      return [{ args: cmd }];
    }
    if (x < 0.27) return [{ args: ["GEOPOS", key(), member(), member(), member()] }];
    if (x < 0.31) return [{ args: ["GEOHASH", key(), member(), member()] }];
    if (x < 0.37) {
      const cmd = ["GEODIST", key(), member(), member()];
      if (chance(0.7)) cmd.push(unit());
      return [{ args: cmd }];
    }
    if (x < 0.62) {
      const store = chance(0.25);
      const from = chance(0.5) ? ["FROMMEMBER", member()] : ["FROMLONLAT", ...point()];
      const by = chance(0.5) ? ["BYRADIUS", radius(), unit()] : ["BYBOX", radius(), radius(), unit()];
      const opts = [from, by, order(), count(), store ? (chance(0.5) ? ["STOREDIST"] : []) : withs()];
      const args = store
        ? ["GEOSEARCHSTORE", "dst", key(), ...shuffle(opts)]
        : ["GEOSEARCH", key(), ...shuffle(opts)];
      return store ? [{ args }, readDst()] : [{ args }];
    }
    if (x < 0.86) {
      const byMember = chance(0.5);
      const ro = chance(0.3);
      const name = `GEORADIUS${byMember ? "BYMEMBER" : ""}${ro ? "_RO" : ""}`;
      const center = byMember ? [member()] : point();
      const store = !ro && chance(0.25);
      const storedist = store && chance(0.5);
      const opts = [order(), count(), store ? [storedist ? "STOREDIST" : "STORE", "dst"] : withs()];
      const args = [name, key(), ...center, radius(), unit(), ...shuffle(opts)];
      return store ? [{ args }, readDst()] : [{ args }];
    }
    if (x < 0.9) return [{ args: ["ZREM", key(), member(), member()] }];
    if (x < 0.92) return [{ args: ["DEL", pick(rnd, GEO_KEYS)] }];
    if (x < 0.94) return [{ args: ["ZRANGE", key(), "0", "-1", "WITHSCORES"] }];
    // Argument errors, checked in Redis's order.
    return [
      {
        args: pick(rnd, [
          ["GEOADD", key(), lon(), "86", member()],
          ["GEORADIUS", key(), "181", lat(), "1", "km"],
          ["GEOSEARCH", key(), "FROMMEMBER", member(), "BYRADIUS", "1", unit(), "COUNT", "-1"],
          ["GEOSEARCH", key(), "FROMMEMBER", member(), "BYBOX", "1", "-2", "km"],
          ["GEOSEARCH", key(), "BYRADIUS", "1", "km"],
          ["GEOSEARCH", key(), "FROMLONLAT", lon(), lat()],
          ["GEOSEARCH", key(), "FROMLONLAT", lon(), lat(), "BYRADIUS", "1", "km", "ANY"],
          ["GEORADIUSBYMEMBER", key(), member(), "1", "km", "STORE", "dst", "WITHDIST"],
          ["GEOSEARCHSTORE", "dst", key(), "FROMMEMBER", member(), "BYRADIUS", "1", "km", "WITHCOORD"],
          ["GEODIST", key(), member(), member(), "km", "x"],
        ]),
      },
    ];
  };
}
