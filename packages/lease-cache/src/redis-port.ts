/**
 * The narrow Redis port the cache depends on: script evaluation, nothing else. The adapters
 * (`lease-cache/upstash`, `/ioredis`, `/node-redis`) implement it in a few lines each;
 * `lease-cache/testing` has an in-memory implementation for unit tests, and a contract suite that
 * every implementation must pass against real Redis.
 */
export type RedisPort = {
  /**
   * EVALSHA `sha1` with `keys` and `args`. Rejects with an error whose message contains
   * `NOSCRIPT` when Redis does not know the script (the cache then sends it with EVAL).
   * Replies as Redis gives them: integers as numbers, bulk strings as strings, nil as `null`,
   * arrays as arrays.
   */
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  /** EVAL of the full script text (which also loads it for the next EVALSHA). */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
};
