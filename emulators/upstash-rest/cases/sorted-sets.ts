/**
 * Differential cases: sorted set commands.
 * @module
 */
import { type Case, scanItems, step } from "../differential-support";

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
