/**
 * Differential cases: sorted sets, HyperLogLog, geo, streams and scripts.
 * @module
 */
import { type Case, scanItems, step } from "./differential-support";
import { scriptSha1 } from "./scripts";

/** Sorted set commands. */
export const ZSET_CASES: Case[] = [
  {
    name: "sorted sets",
    steps: [
      step(
        (k) => ["ZADD", k("z"), 1, "a", 2, "b", 3.5, "c"],
        (r, k) =>
          r.zadd(
            k("z"),
            { score: 1, member: "a" },
            { score: 2, member: "b" },
            { score: 3.5, member: "c" },
          ),
      ),
      step(
        (k) => ["ZADD", k("z"), "NX", 9, "a"],
        (r, k) => r.zadd(k("z"), { nx: true }, { score: 9, member: "a" }),
      ),
      step(
        (k) => ["ZADD", k("z"), "INCR", 2, "a"],
        (r, k) => r.zadd(k("z"), { incr: true }, { score: 2, member: "a" }),
      ),
      step(
        (k) => ["ZSCORE", k("z"), "a"],
        (r, k) => r.zscore(k("z"), "a"),
      ),
      step(
        (k) => ["ZSCORE", k("z"), "nope"],
        (r, k) => r.zscore(k("z"), "nope"),
      ),
      step(
        (k) => ["ZINCRBY", k("z"), 0.5, "b"],
        (r, k) => r.zincrby(k("z"), 0.5, "b"),
      ),
      step(
        (k) => ["ZRANGE", k("z"), 0, -1, "WITHSCORES"],
        (r, k) => r.zrange(k("z"), 0, -1, { withScores: true }),
      ),
      step(
        (k) => ["ZRANGE", k("z"), 2, 3, "BYSCORE"],
        (r, k) => r.zrange(k("z"), 2, 3, { byScore: true }),
      ),
      step(
        (k) => ["ZRANGE", k("z"), 0, 0, "REV"],
        (r, k) => r.zrange(k("z"), 0, 0, { rev: true }),
      ),
      step(
        (k) => ["ZRANK", k("z"), "c"],
        (r, k) => r.zrank(k("z"), "c"),
      ),
      step(
        (k) => ["ZREVRANK", k("z"), "c"],
        (r, k) => r.zrevrank(k("z"), "c"),
      ),
      step(
        (k) => ["ZCARD", k("z")],
        (r, k) => r.zcard(k("z")),
      ),
      step(
        (k) => ["ZCOUNT", k("z"), 2, "+inf"],
        (r, k) => r.zcount(k("z"), 2, "+inf"),
      ),
      step(
        (k) => ["ZMSCORE", k("z"), "a", "nope"],
        (r, k) => r.zmscore(k("z"), ["a", "nope"]),
      ),
      step(
        (k) => ["ZADD", k("lex"), 0, "a", 0, "b", 0, "c"],
        (r, k) =>
          r.zadd(
            k("lex"),
            { score: 0, member: "a" },
            { score: 0, member: "b" },
            { score: 0, member: "c" },
          ),
      ),
      step(
        (k) => ["ZLEXCOUNT", k("lex"), "[b", "+"],
        (r, k) => r.zlexcount(k("lex"), "[b", "+"),
      ),
      step(
        (k) => ["ZREMRANGEBYLEX", k("lex"), "-", "[a"],
        (r, k) => r.zremrangebylex(k("lex"), "-", "[a"),
      ),
      step(
        (k) => ["ZUNIONSTORE", k("zu"), 2, k("z"), k("lex")],
        (r, k) => r.zunionstore(k("zu"), 2, [k("z"), k("lex")]),
      ),
      step(
        (k) => ["ZINTERSTORE", k("zi"), 2, k("z"), k("zu"), "AGGREGATE", "max"],
        (r, k) => r.zinterstore(k("zi"), 2, [k("z"), k("zu")], { aggregate: "max" }),
      ),
      step(
        (k) => ["ZDIFFSTORE", k("zd"), 2, k("zu"), k("z")],
        (r, k) => r.zdiffstore(k("zd"), 2, k("zu"), k("z")),
      ),
      step(
        (k) => ["ZUNION", 2, k("z"), k("zd")],
        (r, k) => r.zunion(2, [k("z"), k("zd")]),
      ),
      step(
        (k) => ["ZSCAN", k("zu"), 0],
        (r, k) => r.zscan(k("zu"), 0),
        scanItems,
      ),
      step(
        (k) => ["ZREM", k("z"), "a", "zz"],
        (r, k) => r.zrem(k("z"), "a", "zz"),
      ),
      step(
        (k) => ["ZPOPMIN", k("zu")],
        (r, k) => r.zpopmin(k("zu")),
      ),
      step(
        (k) => ["ZPOPMAX", k("zu"), 2],
        (r, k) => r.zpopmax(k("zu"), 2),
      ),
      step(
        (k) => ["ZREMRANGEBYRANK", k("zu"), 0, 0],
        (r, k) => r.zremrangebyrank(k("zu"), 0, 0),
      ),
      step(
        (k) => ["ZREMRANGEBYSCORE", k("z"), "-inf", 3],
        (r, k) => r.zremrangebyscore(k("z"), "-inf", 3),
      ),
      step(
        (k) => ["ZRANGE", k("z"), 0, -1],
        (r, k) => r.zrange(k("z"), 0, -1),
      ),
    ],
  },
];

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

const TABLE_SCRIPT = "return {1, 'two', {3, ARGV[1]}, redis.call('GET', KEYS[1])}";
const READ_SCRIPT = "return redis.call('GET', KEYS[1])";
const READ_SHA = scriptSha1(READ_SCRIPT);
const UNKNOWN_SHA = "0000000000000000000000000000000000000001";

/** Script commands (see scripts.test.ts for SCRIPT FLUSH, NOSCRIPT fallback and shebangs). */
export const SCRIPT_CASES: Case[] = [
  {
    name: "scripts",
    steps: [
      step(
        (k) => ["SET", k("sv"), "OK"],
        (r, k) => r.set(k("sv"), "OK"),
      ),
      step(
        (k) => ["EVAL", TABLE_SCRIPT, 1, k("sv"), "x"],
        (r, k) => r.eval(TABLE_SCRIPT, [k("sv")], ["x"]),
      ),
      step(
        () => ["EVAL", "return 'OK'", 0],
        (r) => r.eval("return 'OK'", [], []),
      ),
      step(
        () => ["EVAL", "return redis.status_reply('FINE')", 0],
        (r) => r.eval("return redis.status_reply('FINE')", [], []),
      ),
      step(
        () => ["EVAL", "return {1, nil, 3}", 0],
        (r) => r.eval("return {1, nil, 3}", [], []),
      ),
      step(
        () => ["EVAL", "return 3.99", 0],
        (r) => r.eval("return 3.99", [], []),
      ),
      step(
        () => ["EVAL", "return redis.error_reply('MYERR custom')", 0],
        (r) => r.eval("return redis.error_reply('MYERR custom')", [], []),
      ),
      step(
        () => ["EVAL", "syntax error here", 0],
        (r) => r.eval("syntax error here", [], []),
      ),
      step(
        (k) => ["EVAL_RO", READ_SCRIPT, 1, k("sv")],
        (r, k) => r.evalRo(READ_SCRIPT, [k("sv")], []),
      ),
      step(
        () => ["SCRIPT", "LOAD", READ_SCRIPT],
        (r) => r.scriptLoad(READ_SCRIPT),
      ),
      step(
        (k) => ["EVALSHA", READ_SHA, 1, k("sv")],
        (r, k) => r.evalsha(READ_SHA, [k("sv")], []),
      ),
      step(
        (k) => ["EVALSHA_RO", READ_SHA, 1, k("sv")],
        (r, k) => r.evalshaRo(READ_SHA, [k("sv")], []),
      ),
      step(
        () => ["EVALSHA", UNKNOWN_SHA, 0],
        (r) => r.evalsha(UNKNOWN_SHA, [], []),
      ),
      step(
        () => ["SCRIPT", "EXISTS", READ_SHA, UNKNOWN_SHA],
        (r) => r.scriptExists(READ_SHA, UNKNOWN_SHA),
      ),
    ],
  },
];
