/**
 * Differential cases: HyperLogLog, geo and stream commands.
 * @module
 */
import { type Case, step } from "../differential-support";

/** HyperLogLog, geo and stream commands. */
export const MISC_CASES: Case[] = [
  {
    name: "hyperloglog, geo and streams",
    steps: [
      step(
        (k) => ["PFADD", k("hll"), "a", "b", "c"],
        (r, k) => r.pfadd(k("hll"), "a", "b", "c"),
      ),
      step(
        (k) => ["PFADD", k("hll2"), "c", "d"],
        (r, k) => r.pfadd(k("hll2"), "c", "d"),
      ),
      step(
        (k) => ["PFCOUNT", k("hll"), k("hll2")],
        (r, k) => r.pfcount(k("hll"), k("hll2")),
      ),
      step(
        (k) => ["PFMERGE", k("hll3"), k("hll"), k("hll2")],
        (r, k) => r.pfmerge(k("hll3"), k("hll"), k("hll2")),
      ),
      step(
        (k) => [
          "GEOADD",
          k("geo"),
          13.361389,
          38.115556,
          "Palermo",
          15.087269,
          37.502669,
          "Catania",
        ],
        (r, k) =>
          r.geoadd(
            k("geo"),
            { longitude: 13.361389, latitude: 38.115556, member: "Palermo" },
            { longitude: 15.087269, latitude: 37.502669, member: "Catania" },
          ),
      ),
      step(
        (k) => ["GEODIST", k("geo"), "Palermo", "Catania", "KM"],
        (r, k) => r.geodist(k("geo"), "Palermo", "Catania", "KM"),
      ),
      step(
        (k) => ["GEOPOS", k("geo"), "Palermo", "Nowhere"],
        (r, k) => r.geopos(k("geo"), "Palermo", "Nowhere"),
      ),
      step(
        (k) => ["GEOHASH", k("geo"), "Catania"],
        (r, k) => r.geohash(k("geo"), "Catania"),
      ),
      step(
        (k) => ["XADD", k("x"), "1-1", "f", "v"],
        (r, k) => r.xadd(k("x"), "1-1", { f: "v" }),
      ),
      step(
        (k) => ["XADD", k("x"), "2-1", "g", 7],
        (r, k) => r.xadd(k("x"), "2-1", { g: 7 }),
      ),
      step(
        (k) => ["XADD", k("x"), "1-0", "f", "v"],
        (r, k) => r.xadd(k("x"), "1-0", { f: "v" }),
      ),
      step(
        (k) => ["XLEN", k("x")],
        (r, k) => r.xlen(k("x")),
      ),
      step(
        (k) => ["XRANGE", k("x"), "-", "+"],
        (r, k) => r.xrange(k("x"), "-", "+"),
      ),
      step(
        (k) => ["XREVRANGE", k("x"), "+", "-", "COUNT", 1],
        (r, k) => r.xrevrange(k("x"), "+", "-", 1),
      ),
      step(
        (k) => ["XDEL", k("x"), "1-1"],
        (r, k) => r.xdel(k("x"), "1-1"),
      ),
      step(
        (k) => ["XTRIM", k("x"), "MAXLEN", "=", 0],
        (r, k) => r.xtrim(k("x"), { strategy: "MAXLEN", exactness: "=", threshold: 0 }),
      ),
    ],
  },
];
