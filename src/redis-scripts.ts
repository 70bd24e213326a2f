/**
 * Every Lua script the Worker runs itself, in one module (the cache's own are in `lease-cache`'s
 * `scripts.ts`). Each names its KEYS and ARGV in a header and has its SHA-1 pinned here; a test
 * checks the pins and that Redis agrees. They are run with EVALSHA, and with EVAL on NOSCRIPT
 * ({@link runScript}). The Worker talks to Upstash only, so each script has one text, under
 * Upstash's `#!lua flags=allow-key-locking` shebang (per-key locks instead of the global lock).
 *
 * @module
 */
import type { RedisPort } from "lease-cache";

/** A script's text and its pinned SHA-1. */
export type AppScript = { name: string; source: string; sha1: string };

const ABSENT_READ_LOG_SOURCE = `#!lua flags=allow-key-locking
-- absentReadLog: one client's reads that may reach Postgres and find nothing, as a sliding log (a
-- sorted set of read times), so "at most N in any window" holds exactly, also across the minute
-- boundaries where a weighted two-window estimate lets extra reads through. A read reserves its
-- place before its load, so concurrent reads cannot all pass one check; a read that found
-- something gives its place back.
-- KEYS[1] the client's log
-- ARGV[1] now (ms)  ARGV[2] window (ms)  ARGV[3] the limit N
-- ARGV[4] 'reserve' (log the read only while fewer than N are logged), 'record' (log it in any
--         case: a read that went ahead without a reservation) or 'release' (remove it)
-- ARGV[5] the read's member, unique
-- Returns {1 if the read is logged (0 when refused or released), reads in the window, ms when
--          fewer than N remain or 0 while fewer}
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local mode = ARGV[4]
local logged = 0
if mode == 'release' then
  redis.call('ZREM', KEYS[1], ARGV[5])
else
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if mode == 'record' or redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[5])
    redis.call('PEXPIRE', KEYS[1], window)
    logged = 1
  end
end
local since = '(' .. (now - window)
local count = redis.call('ZCOUNT', KEYS[1], since, '+inf')
if count < limit then
  return {logged, count, 0}
end
-- The read whose leaving brings the count under the limit: the (count - limit + 1)th oldest.
local leaving = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
return {logged, count, tonumber(leaving[2]) + window}
`;

/** The absent-id budget's log (API.md rule 7); see its header. */
export const ABSENT_READ_LOG: AppScript = {
  name: "absentReadLog",
  source: ABSENT_READ_LOG_SOURCE,
  sha1: "8e44c63fbba1464ade15cffc2e2430ee542cd7fa",
};

/** Every script of this module, for tests. */
export const APP_SCRIPTS: readonly AppScript[] = [ABSENT_READ_LOG];

/**
 * Runs `script` with EVALSHA and, when Redis does not know it (NOSCRIPT: a restart, a SCRIPT
 * FLUSH, a new database), once more with EVAL, which also loads it. `signal` goes to each call.
 */
export async function runScript(
  redis: RedisPort,
  script: AppScript,
  keys: string[],
  args: string[],
  signal?: AbortSignal,
): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys, args, signal);
  } catch (err: unknown) {
    if (!(err instanceof Error && err.message.toLowerCase().includes("noscript"))) {
      throw err;
    }
  }
  return await redis.eval(script.source, keys, args, signal);
}
