/**
 * Differential cases: list commands.
 * @module
 */
import { type Case, step } from "../differential-support";

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
