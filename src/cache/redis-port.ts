/**
 * The narrow Redis port the cache core depends on: script evaluation, nothing else. `@upstash/redis`
 * satisfies it structurally (see `src/redis/upstash.ts`); `memory-redis.ts` is an in-memory stand-in
 * for pure unit tests that implements the same scripts in TypeScript.
 */
export type RedisPort = {
  /** EVALSHA `sha1` with `keys` and `args`; rejects with a message containing NOSCRIPT when unknown. */
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  /** EVAL of the full script text. */
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
};
