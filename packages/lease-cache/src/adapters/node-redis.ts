/**
 * `lease-cache/node-redis`: the port over a `redis` (node-redis 4 or 5) client.
 *
 * @example
 * import { createClient } from "redis";
 * import { nodeRedisPort } from "lease-cache/node-redis";
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const cache = createCacheAside({ redis: nodeRedisPort(client) });
 */
import type { RedisPort } from "../redis-port.js";

/** How node-redis takes a script's keys and arguments. */
export type NodeRedisScriptOptions = { keys: string[]; arguments: string[] };

/** The part of a node-redis client the port uses. */
export type NodeRedisLike = {
  evalSha(sha1: string, options: NodeRedisScriptOptions): Promise<unknown>;
  eval(script: string, options: NodeRedisScriptOptions): Promise<unknown>;
  evalShaRo(sha1: string, options: NodeRedisScriptOptions): Promise<unknown>;
  evalRo(script: string, options: NodeRedisScriptOptions): Promise<unknown>;
};

/** The cache's {@link RedisPort} over a node-redis client. */
export function nodeRedisPort(client: NodeRedisLike): RedisPort {
  return {
    evalsha: (sha1, keys, args) => client.evalSha(sha1, { keys, arguments: args }),
    eval: (script, keys, args) => client.eval(script, { keys, arguments: args }),
    evalshaRo: (sha1, keys, args) => client.evalShaRo(sha1, { keys, arguments: args }),
    evalRo: (script, keys, args) => client.evalRo(script, { keys, arguments: args }),
  };
}
