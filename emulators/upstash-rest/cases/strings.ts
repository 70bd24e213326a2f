/**
 * Differential cases: strings, numbers and bits.
 * @module
 */
import { type Case, step } from "../differential-support";

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
