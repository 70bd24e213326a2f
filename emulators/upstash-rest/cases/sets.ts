/**
 * Differential cases: set commands.
 * @module
 */
import { type Case, scanItems, sorted, step } from "../differential-support";

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
