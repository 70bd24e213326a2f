/**
 * Differential cases: strings, numbers, bits, expiry and keyspace commands.
 * @module
 */
import { type Case, roughSeconds, scanItems, sorted, step } from "./differential-support";

/** 2100-01-01T00:00:00Z, a fixed absolute expiry both sides agree on. */
const FAR_FUTURE_S = 4_102_444_800;

/** String and number commands. */
export const STRING_CASES: Case[] = [
  {
    name: "strings",
    steps: [
      step(
        (k) => ["SET", k("a"), "hello"],
        (r, k) => r.set(k("a"), "hello"),
      ),
      step(
        (k) => ["GET", k("a")],
        (r, k) => r.get(k("a")),
      ),
      step(
        (k) => ["SET", k("a"), "x", "NX"],
        (r, k) => r.set(k("a"), "x", { nx: true }),
      ),
      step(
        (k) => ["SET", k("b"), "x", "XX"],
        (r, k) => r.set(k("b"), "x", { xx: true }),
      ),
      step(
        (k) => ["SET", k("a"), "new", "GET"],
        (r, k) => r.set(k("a"), "new", { get: true }),
      ),
      step(
        (k) => ["GET", k("missing")],
        (r, k) => r.get(k("missing")),
      ),
      step(
        (k) => ["APPEND", k("a"), "!"],
        (r, k) => r.append(k("a"), "!"),
      ),
      step(
        (k) => ["STRLEN", k("a")],
        (r, k) => r.strlen(k("a")),
      ),
      step(
        (k) => ["GETRANGE", k("a"), 0, 1],
        (r, k) => r.getrange(k("a"), 0, 1),
      ),
      step(
        (k) => ["SETRANGE", k("a"), 1, "EE"],
        (r, k) => r.setrange(k("a"), 1, "EE"),
      ),
      step(
        (k) => ["MSET", k("d"), 1, k("e"), 2],
        (r, k) => r.mset({ [k("d")]: 1, [k("e")]: 2 }),
      ),
      step(
        (k) => ["MGET", k("d"), k("e"), k("none")],
        (r, k) => r.mget(k("d"), k("e"), k("none")),
      ),
      step(
        (k) => ["MSETNX", k("d"), 5, k("f"), 6],
        (r, k) => r.msetnx({ [k("d")]: 5, [k("f")]: 6 }),
      ),
      step(
        (k) => ["SETNX", k("g"), "x"],
        (r, k) => r.setnx(k("g"), "x"),
      ),
      step(
        (k) => ["GETSET", k("d"), "10"],
        (r, k) => r.getset(k("d"), "10"),
      ),
      step(
        (k) => ["GETDEL", k("g")],
        (r, k) => r.getdel(k("g")),
      ),
      step(
        (k) => ["GETDEL", k("g")],
        (r, k) => r.getdel(k("g")),
      ),
    ],
  },
  {
    name: "numbers and typed values",
    steps: [
      step(
        (k) => ["SET", k("n"), 10],
        (r, k) => r.set(k("n"), 10),
      ),
      step(
        (k) => ["INCR", k("n")],
        (r, k) => r.incr(k("n")),
      ),
      step(
        (k) => ["INCRBY", k("n"), 5],
        (r, k) => r.incrby(k("n"), 5),
      ),
      step(
        (k) => ["DECR", k("n")],
        (r, k) => r.decr(k("n")),
      ),
      step(
        (k) => ["DECRBY", k("n"), 3],
        (r, k) => r.decrby(k("n"), 3),
      ),
      step(
        (k) => ["INCRBYFLOAT", k("n"), 0.5],
        (r, k) => r.incrbyfloat(k("n"), 0.5),
      ),
      step(
        (k) => ["INCRBYFLOAT", k("n"), -1e-3],
        (r, k) => r.incrbyfloat(k("n"), -1e-3),
      ),
      step(
        (k) => ["SET", k("t"), "text"],
        (r, k) => r.set(k("t"), "text"),
      ),
      step(
        (k) => ["INCR", k("t")],
        (r, k) => r.incr(k("t")),
      ), // error reply
      step(
        (k) => ["SET", k("f"), 1.25],
        (r, k) => r.set(k("f"), 1.25),
      ),
      step(
        (k) => ["GET", k("f")],
        (r, k) => r.get(k("f")),
      ),
      step(
        (k) => ["SET", k("bool"), "true"],
        (r, k) => r.set(k("bool"), true),
      ),
      step(
        (k) => ["GET", k("bool")],
        (r, k) => r.get(k("bool")),
      ),
      step(
        (k) => ["SET", k("big"), "12345678901234567890"],
        (r, k) => r.set(k("big"), "12345678901234567890"),
      ),
      step(
        (k) => ["GET", k("big")],
        (r, k) => r.get(k("big")),
      ),
      step(
        (k) => ["SET", k("null"), "null"],
        (r, k) => r.set(k("null"), null),
      ),
      step(
        (k) => ["GET", k("null")],
        (r, k) => r.get(k("null")),
      ),
      step(
        (k) => ["SET", k("obj"), '{"a":1}'],
        (r, k) => r.set(k("obj"), { a: 1 }),
      ),
      step(
        (k) => ["GET", k("obj")],
        (r, k) => r.get(k("obj")),
      ),
      step(
        (k) => ["SET", k("emoji"), "héllo 🌍"],
        (r, k) => r.set(k("emoji"), "héllo 🌍"),
      ),
      step(
        (k) => ["GET", k("emoji")],
        (r, k) => r.get(k("emoji")),
      ),
      step(
        (k) => ["SET", k("okword"), "OK"],
        (r, k) => r.set(k("okword"), "OK"),
      ),
      step(
        (k) => ["MGET", k("okword"), k("emoji")],
        (r, k) => r.mget(k("okword"), k("emoji")),
      ),
    ],
  },
  {
    name: "bits",
    steps: [
      step(
        (k) => ["SETBIT", k("bits"), 7, 1],
        (r, k) => r.setbit(k("bits"), 7, 1),
      ),
      step(
        (k) => ["SETBIT", k("bits"), 9, 1],
        (r, k) => r.setbit(k("bits"), 9, 1),
      ),
      step(
        (k) => ["GETBIT", k("bits"), 7],
        (r, k) => r.getbit(k("bits"), 7),
      ),
      step(
        (k) => ["BITCOUNT", k("bits"), 0, -1],
        (r, k) => r.bitcount(k("bits"), 0, -1),
      ),
      step(
        (k) => ["BITPOS", k("bits"), 1],
        (r, k) => r.bitpos(k("bits"), 1),
      ),
      step(
        (k) => ["BITOP", "OR", k("bits2"), k("bits"), k("bits")],
        (r, k) => r.bitop("or", k("bits2"), k("bits"), k("bits")),
      ),
    ],
  },
];

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
