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
   * arrays as arrays. `signal` is aborted when the cache gave up on the call (its timeout): an
   * adapter whose client can end the request with it should, so nothing outlives the wait.
   */
  evalsha(sha1: string, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown>;
  /** EVAL of the full script text (which also loads it for the next EVALSHA). */
  eval(script: string, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown>;
  /**
   * EVALSHA_RO: a read-only script a read region (a replica) may answer. Optional: without it the
   * cache runs its read-only script with EVALSHA at the primary.
   */
  evalshaRo?(sha1: string, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown>;
  /** EVAL_RO of the full script text. Required with `evalshaRo`. */
  evalRo?(script: string, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown>;
  /**
   * Which script texts the server takes: `upstash` understands Upstash's
   * `#!lua flags=allow-key-locking` shebang, stock Redis rejects it. @default "redis"
   */
  dialect?: "redis" | "upstash";
  /**
   * The read-your-writes position of this client (Upstash's sync token): read after a write to
   * carry it elsewhere (a bookmark), set before a read so a read region answers only once it has
   * replayed that far. Optional: without it bookmarks carry no Redis position.
   */
  syncToken?: { get(): string | undefined; set(token: string | undefined): void };
};
