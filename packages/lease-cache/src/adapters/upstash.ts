/**
 * `lease-cache/upstash`: the port over `@upstash/redis` (REST; Cloudflare Workers, Vercel, Deno,
 * Node), and the client options the cache's failure policy needs.
 *
 * @example
 * import { Redis } from "@upstash/redis/cloudflare";
 * import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
 *
 * const redis = new Redis({ url, token, ...upstashClientOptions() });
 * const cache = createCacheAside({ redis: upstashPort(redis), background: ctx });
 */
import { defaultCacheConfig } from "../config.js";
import type { RedisPort } from "../redis-port.js";

/** The part of an `@upstash/redis` client the port uses (any 1.x `Redis` has it). */
export type UpstashLike = {
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
};

/** Options of {@link upstashClientOptions}. */
export type UpstashClientOptionsInput = {
  /** Per-call timeout in ms; match the cache's `redisTimeoutMs`. @default 150 */
  timeoutMs?: number;
};

/** The `@upstash/redis` constructor options the cache relies on (see {@link upstashClientOptions}). */
export type UpstashClientOptions = {
  signal: () => AbortSignal;
  retry: { retries: 0 };
  enableAutoPipelining: false;
  automaticDeserialization: false;
  enableTelemetry: false;
  readYourWrites: false;
};

/**
 * Options to spread into `new Redis({ url, token, ... })` so every call gives up after `timeoutMs`
 * and means exactly one HTTP request:
 * - `signal` is a *function*, so each request gets a fresh timeout signal. A static signal would
 *   make the client resolve `null` for every later command without sending it, silently turning
 *   an invalidation into a no-op;
 * - `retry: { retries: 0 }`: one attempt (the default retries for ~4.3 s on network errors);
 * - no auto-pipelining, so round trips are what the code says;
 * - no automatic deserialization: the cache decodes its own envelopes;
 * - no telemetry headers; no read-your-writes token tracking.
 */
export function upstashClientOptions(
  options: UpstashClientOptionsInput = {},
): UpstashClientOptions {
  const timeoutMs = options.timeoutMs ?? defaultCacheConfig.redisTimeoutMs;
  return {
    // @mutation-point upstash.signal
    signal: () => AbortSignal.timeout(timeoutMs),
    retry: { retries: 0 },
    enableAutoPipelining: false,
    automaticDeserialization: false,
    enableTelemetry: false,
    readYourWrites: false,
  };
}

/** The cache's {@link RedisPort} over an `@upstash/redis` client. */
export function upstashPort(redis: UpstashLike): RedisPort {
  return {
    evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys, args),
    eval: (script, keys, args) => redis.eval(script, keys, args),
  };
}
