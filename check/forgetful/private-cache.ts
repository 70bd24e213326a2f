/**
 * The Redis side of a forgetful run: a private `redis-server` behind its own Upstash REST server,
 * and the Worker bindings that point a run's isolates at it. The Upstash server outlives every
 * restart of the Redis behind it (it reconnects on its own), as Upstash's endpoint outlives a
 * failover behind it.
 */
import { randomBytes } from "node:crypto";
import { CONTROL_PATH } from "../../emulators/shared/faults";
import { startUpstashRestServer } from "../../emulators/upstash-rest/server";
import { type PrivateRedis, startPrivateRedis } from "./private-redis";

/** A running private cache. */
export type PrivateCache = {
  redis: PrivateRedis;
  /** Replace the stack's Upstash bindings with these. */
  bindings: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string };
  /** The Upstash server's fault control endpoint (jitter and the like, as in the other profiles). */
  redisFaultsUrl: string;
  close(): Promise<void>;
};

/** Starts a private Redis and an Upstash REST server over it. */
export async function startPrivateCache(): Promise<PrivateCache> {
  const redis = await startPrivateRedis();
  try {
    const upstash = await startUpstashRestServer({
      redisUrl: redis.url,
      token: randomBytes(18).toString("base64url"),
    });
    return {
      redis,
      bindings: { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token },
      redisFaultsUrl: `${upstash.url}${CONTROL_PATH}`,
      async close() {
        await upstash.close();
        await redis.close();
      },
    };
  } catch (err: unknown) {
    await redis.close();
    throw err;
  }
}
