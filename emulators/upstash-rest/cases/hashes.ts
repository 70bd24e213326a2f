/**
 * Differential cases: hash commands.
 * @module
 */
import { type Case, sorted, step } from "../differential-support";

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
