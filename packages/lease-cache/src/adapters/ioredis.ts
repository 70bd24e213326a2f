/**
 * `lease-cache/ioredis`: the port over an `ioredis` client (Node servers, Redis over TCP).
 *
 * @example
 * import Redis from "ioredis";
 * import { ioredisPort } from "lease-cache/ioredis";
 *
 * const cache = createCacheAside({ redis: ioredisPort(new Redis(process.env.REDIS_URL)) });
 */
import type { RedisPort } from "../redis-port.js";

/** The part of an `ioredis` client (`Redis` or `Cluster`) the port uses. */
export type IoredisLike = {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  evalsha_ro(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval_ro(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
};

/** The cache's {@link RedisPort} over an `ioredis` client. */
export function ioredisPort(redis: IoredisLike): RedisPort {
  return {
    evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys.length, ...keys, ...args),
    eval: (script, keys, args) => redis.eval(script, keys.length, ...keys, ...args),
    evalshaRo: (sha1, keys, args) => redis.evalsha_ro(sha1, keys.length, ...keys, ...args),
    evalRo: (script, keys, args) => redis.eval_ro(script, keys.length, ...keys, ...args),
  };
}
