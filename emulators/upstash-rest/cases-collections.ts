/**
 * Differential cases: hashes, lists and sets.
 * @module
 */
import { type Case, scanItems, sorted, step } from "./differential-support";

/** Hash commands. */
export const HASH_CASES: Case[] = [
  {
    name: "hashes",
    steps: [
      step(
        (k) => ["HSET", k("h"), "f1", "v1", "f2", 2],
        (r, k) => r.hset(k("h"), { f1: "v1", f2: 2 }),
      ),
      step(
        (k) => ["HGET", k("h"), "f1"],
        (r, k) => r.hget(k("h"), "f1"),
      ),
      step(
        (k) => ["HGET", k("h"), "nope"],
        (r, k) => r.hget(k("h"), "nope"),
      ),
      step(
        (k) => ["HMGET", k("h"), "f1", "nope"],
        (r, k) => r.hmget(k("h"), "f1", "nope"),
      ),
      step(
        (k) => ["HGETALL", k("h")],
        (r, k) => r.hgetall(k("h")),
      ),
      step(
        (k) => ["HGETALL", k("nohash")],
        (r, k) => r.hgetall(k("nohash")),
      ),
      step(
        (k) => ["HSETNX", k("h"), "f1", "x"],
        (r, k) => r.hsetnx(k("h"), "f1", "x"),
      ),
      step(
        (k) => ["HEXISTS", k("h"), "f2"],
        (r, k) => r.hexists(k("h"), "f2"),
      ),
      step(
        (k) => ["HINCRBY", k("h"), "f2", 3],
        (r, k) => r.hincrby(k("h"), "f2", 3),
      ),
      step(
        (k) => ["HINCRBYFLOAT", k("h"), "f3", 1.5],
        (r, k) => r.hincrbyfloat(k("h"), "f3", 1.5),
      ),
      step(
        (k) => ["HINCRBY", k("h"), "f1", 1],
        (r, k) => r.hincrby(k("h"), "f1", 1),
      ),
      step(
        (k) => ["HKEYS", k("h")],
        (r, k) => r.hkeys(k("h")),
      ),
      step(
        (k) => ["HVALS", k("h")],
        (r, k) => r.hvals(k("h")),
      ),
      step(
        (k) => ["HLEN", k("h")],
        (r, k) => r.hlen(k("h")),
      ),
      step(
        (k) => ["HSTRLEN", k("h"), "f1"],
        (r, k) => r.hstrlen(k("h"), "f1"),
      ),
      step(
        (k) => ["HMSET", k("h"), "f4", "🌍"],
        (r, k) => r.hmset(k("h"), { f4: "🌍" }),
      ),
      step(
        (k) => ["HRANDFIELD", k("h"), 10],
        (r, k) => r.hrandfield(k("h"), 10),
        sorted,
      ),
      step(
        (k) => ["HSCAN", k("h"), 0, "MATCH", "f*"],
        (r, k) => r.hscan(k("h"), 0, { match: "f*" }),
      ),
      step(
        (k) => ["HDEL", k("h"), "f1", "f9"],
        (r, k) => r.hdel(k("h"), "f1", "f9"),
      ),
      step(
        (k) => ["HGET", k("nohash"), "f"],
        (r, k) => r.hget(k("nohash"), "f"),
      ),
    ],
  },
];

/** List commands. */
export const LIST_CASES: Case[] = [
  {
    name: "lists",
    steps: [
      step(
        (k) => ["RPUSH", k("l"), "a", "b", "c"],
        (r, k) => r.rpush(k("l"), "a", "b", "c"),
      ),
      step(
        (k) => ["LPUSH", k("l"), "z"],
        (r, k) => r.lpush(k("l"), "z"),
      ),
      step(
        (k) => ["LRANGE", k("l"), 0, -1],
        (r, k) => r.lrange(k("l"), 0, -1),
      ),
      step(
        (k) => ["LLEN", k("l")],
        (r, k) => r.llen(k("l")),
      ),
      step(
        (k) => ["LINDEX", k("l"), 1],
        (r, k) => r.lindex(k("l"), 1),
      ),
      step(
        (k) => ["LSET", k("l"), 1, "A"],
        (r, k) => r.lset(k("l"), 1, "A"),
      ),
      step(
        (k) => ["LSET", k("l"), 99, "A"],
        (r, k) => r.lset(k("l"), 99, "A"),
      ),
      step(
        (k) => ["LINSERT", k("l"), "BEFORE", "b", "ab"],
        (r, k) => r.linsert(k("l"), "before", "b", "ab"),
      ),
      step(
        (k) => ["RPUSH", k("l"), "b", "b"],
        (r, k) => r.rpush(k("l"), "b", "b"),
      ),
      step(
        (k) => ["LPOS", k("l"), "b"],
        (r, k) => r.lpos(k("l"), "b"),
      ),
      step(
        (k) => ["LPOS", k("l"), "b", "RANK", 2, "COUNT", 0],
        (r, k) => r.lpos(k("l"), "b", { rank: 2, count: 0 }),
      ),
      step(
        (k) => ["LREM", k("l"), 2, "b"],
        (r, k) => r.lrem(k("l"), 2, "b"),
      ),
      step(
        (k) => ["LPUSHX", k("l"), "x"],
        (r, k) => r.lpushx(k("l"), "x"),
      ),
      step(
        (k) => ["RPUSHX", k("nolist"), "x"],
        (r, k) => r.rpushx(k("nolist"), "x"),
      ),
      step(
        (k) => ["LPOP", k("l")],
        (r, k) => r.lpop(k("l")),
      ),
      step(
        (k) => ["RPOP", k("l")],
        (r, k) => r.rpop(k("l")),
      ),
      step(
        (k) => ["LPOP", k("l"), 2],
        (r, k) => r.lpop(k("l"), 2),
      ),
      step(
        (k) => ["LPOP", k("nolist")],
        (r, k) => r.lpop(k("nolist")),
      ),
      step(
        (k) => ["LMOVE", k("l"), k("l2"), "LEFT", "RIGHT"],
        (r, k) => r.lmove(k("l"), k("l2"), "left", "right"),
      ),
      step(
        (k) => ["RPUSH", k("l"), 1, 2, 3],
        (r, k) => r.rpush(k("l"), 1, 2, 3),
      ),
      step(
        (k) => ["LTRIM", k("l"), 0, 1],
        (r, k) => r.ltrim(k("l"), 0, 1),
      ),
      step(
        (k) => ["LMPOP", 2, k("nolist"), k("l"), "LEFT", "COUNT", 5],
        (r, k) => r.lmpop(2, [k("nolist"), k("l")], "LEFT", 5),
      ),
      step(
        (k) => ["LRANGE", k("l2"), 0, -1],
        (r, k) => r.lrange(k("l2"), 0, -1),
      ),
    ],
  },
];

/** Set commands. */
export const SET_CASES: Case[] = [
  {
    name: "sets",
    steps: [
      step(
        (k) => ["SADD", k("s"), "a", "b", "c"],
        (r, k) => r.sadd(k("s"), "a", "b", "c"),
      ),
      step(
        (k) => ["SADD", k("s2"), "b", "c", "d"],
        (r, k) => r.sadd(k("s2"), "b", "c", "d"),
      ),
      step(
        (k) => ["SMEMBERS", k("s")],
        (r, k) => r.smembers(k("s")),
        sorted,
      ),
      step(
        (k) => ["SISMEMBER", k("s"), "a"],
        (r, k) => r.sismember(k("s"), "a"),
      ),
      step(
        (k) => ["SMISMEMBER", k("s"), "a", "z"],
        (r, k) => r.smismember(k("s"), ["a", "z"]),
      ),
      step(
        (k) => ["SCARD", k("s")],
        (r, k) => r.scard(k("s")),
      ),
      step(
        (k) => ["SINTER", k("s"), k("s2")],
        (r, k) => r.sinter(k("s"), k("s2")),
        sorted,
      ),
      step(
        (k) => ["SUNION", k("s"), k("s2")],
        (r, k) => r.sunion(k("s"), k("s2")),
        sorted,
      ),
      step(
        (k) => ["SDIFF", k("s"), k("s2")],
        (r, k) => r.sdiff(k("s"), k("s2")),
        sorted,
      ),
      step(
        (k) => ["SINTERSTORE", k("si"), k("s"), k("s2")],
        (r, k) => r.sinterstore(k("si"), k("s"), k("s2")),
      ),
      step(
        (k) => ["SUNIONSTORE", k("su"), k("s"), k("s2")],
        (r, k) => r.sunionstore(k("su"), k("s"), k("s2")),
      ),
      step(
        (k) => ["SDIFFSTORE", k("sd"), k("s"), k("s2")],
        (r, k) => r.sdiffstore(k("sd"), k("s"), k("s2")),
      ),
      step(
        (k) => ["SINTERCARD", 2, k("s"), k("s2")],
        (r, k) => r.sintercard([k("s"), k("s2")]),
      ),
      step(
        (k) => ["SMOVE", k("s"), k("s2"), "a"],
        (r, k) => r.smove(k("s"), k("s2"), "a"),
      ),
      step(
        (k) => ["SRANDMEMBER", k("s2"), 10],
        (r, k) => r.srandmember(k("s2"), 10),
        sorted,
      ),
      step(
        (k) => ["SSCAN", k("s2"), 0],
        (r, k) => r.sscan(k("s2"), 0),
        scanItems,
      ),
      step(
        (k) => ["SREM", k("s2"), "a", "zz"],
        (r, k) => r.srem(k("s2"), "a", "zz"),
      ),
      step(
        (k) => ["SPOP", k("su"), 10],
        (r, k) => r.spop(k("su"), 10),
        sorted,
      ),
      step(
        (k) => ["SPOP", k("su")],
        (r, k) => r.spop(k("su")),
      ),
      step(
        (k) => ["SADD", k("s"), 1, 2],
        (r, k) => r.sadd(k("s"), 1, 2),
      ),
      step(
        (k) => ["LPUSH", k("s"), "x"],
        (r, k) => r.lpush(k("s"), "x"),
      ), // WRONGTYPE
    ],
  },
];
