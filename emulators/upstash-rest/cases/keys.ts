/**
 * Differential cases: expiry and keyspace commands.
 * @module
 */
import { type Case, roughSeconds, scanItems, sorted, step } from "../differential-support";

/** 2100-01-01T00:00:00Z, a fixed absolute expiry both sides agree on. */
const FAR_FUTURE_S = 4_102_444_800;

/** Expiry and keyspace commands. */
export const KEY_CASES: Case[] = [
  {
    name: "expiry",
    steps: [
      step(
        (k) => ["SET", k("c"), 100, "EX", 100],
        (r, k) => r.set(k("c"), 100, { ex: 100 }),
      ),
      step(
        (k) => ["TTL", k("c")],
        (r, k) => r.ttl(k("c")),
      ),
      step(
        (k) => ["PTTL", k("c")],
        (r, k) => r.pttl(k("c")),
        roughSeconds,
      ),
      step(
        (k) => ["SETEX", k("h"), 50, "v"],
        (r, k) => r.setex(k("h"), 50, "v"),
      ),
      step(
        (k) => ["PSETEX", k("i"), 50000, "v"],
        (r, k) => r.psetex(k("i"), 50000, "v"),
      ),
      step(
        (k) => ["GETEX", k("h"), "PERSIST"],
        (r, k) => r.getex(k("h"), { persist: true }),
      ),
      step(
        (k) => ["TTL", k("h")],
        (r, k) => r.ttl(k("h")),
      ),
      step(
        (k) => ["GETEX", k("h"), "EX", 30],
        (r, k) => r.getex(k("h"), { ex: 30 }),
      ),
      step(
        (k) => ["EXPIRE", k("h"), 100],
        (r, k) => r.expire(k("h"), 100),
      ),
      step(
        (k) => ["EXPIRE", k("h"), 50, "GT"],
        (r, k) => r.expire(k("h"), 50, "GT"),
      ),
      step(
        (k) => ["PEXPIRE", k("h"), 200000],
        (r, k) => r.pexpire(k("h"), 200000),
      ),
      step(
        (k) => ["EXPIREAT", k("h"), FAR_FUTURE_S],
        (r, k) => r.expireat(k("h"), FAR_FUTURE_S),
      ),
      step(
        (k) => ["PEXPIREAT", k("i"), FAR_FUTURE_S * 1000],
        (r, k) => r.pexpireat(k("i"), FAR_FUTURE_S * 1000),
      ),
      step(
        (k) => ["PERSIST", k("i")],
        (r, k) => r.persist(k("i")),
      ),
      step(
        (k) => ["TTL", k("i")],
        (r, k) => r.ttl(k("i")),
      ),
      step(
        (k) => ["TTL", k("nokey")],
        (r, k) => r.ttl(k("nokey")),
      ),
    ],
  },
  {
    name: "keyspace",
    steps: [
      step(
        (k) => ["SET", k("a"), "1"],
        (r, k) => r.set(k("a"), "1"),
      ),
      step(
        (k) => ["SET", k("b"), "2"],
        (r, k) => r.set(k("b"), "2"),
      ),
      step(
        (k) => ["EXISTS", k("a"), k("b"), k("x")],
        (r, k) => r.exists(k("a"), k("b"), k("x")),
      ),
      step(
        (k) => ["TYPE", k("a")],
        (r, k) => r.type(k("a")),
      ),
      step(
        (k) => ["TYPE", k("x")],
        (r, k) => r.type(k("x")),
      ),
      step(
        (k) => ["RENAME", k("a"), k("a2")],
        (r, k) => r.rename(k("a"), k("a2")),
      ),
      step(
        (k) => ["RENAME", k("x"), k("y")],
        (r, k) => r.rename(k("x"), k("y")),
      ),
      step(
        (k) => ["RENAMENX", k("b"), k("a2")],
        (r, k) => r.renamenx(k("b"), k("a2")),
      ),
      step(
        (k) => ["COPY", k("a2"), k("a3")],
        (r, k) => r.copy(k("a2"), k("a3")),
      ),
      step(
        (k) => ["TOUCH", k("a2"), k("a3"), k("x")],
        (r, k) => r.touch(k("a2"), k("a3"), k("x")),
      ),
      step(
        (k) => ["KEYS", k("a*")],
        (r, k) => r.keys(k("a*")),
        sorted,
      ),
      step(
        (k) => ["SCAN", 0, "MATCH", k("*"), "COUNT", 100000],
        (r, k) => r.scan(0, { match: k("*"), count: 100000 }),
        scanItems,
      ),
      step(
        (k) => ["UNLINK", k("a3"), k("x")],
        (r, k) => r.unlink(k("a3"), k("x")),
      ),
      step(
        (k) => ["DEL", k("a2"), k("b")],
        (r, k) => r.del(k("a2"), k("b")),
      ),
      step(
        () => ["ECHO", "hi 🌍"],
        (r) => r.echo("hi 🌍"),
      ),
      step(
        () => ["PING"],
        (r) => r.ping(),
      ),
      step(
        () => ["PING", "hello"],
        (r) => r.ping(["hello"]),
      ),
    ],
  },
];
