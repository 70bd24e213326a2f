/**
 * Differential cases: script commands.
 * @module
 */
import { type Case, step } from "../differential-support";
import { scriptSha1 } from "../scripts";

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
