/**
 * The production Redis client: `@upstash/redis` for Workers, configured for the cache's failure
 * policy. Built once per request by the services middleware; handlers never construct it.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { RedisPort } from "../cache";

/** Options of {@link createUpstashRedis}. */
export type UpstashRedisOptions = {
  url: string;
  token: string;
  /** Per-call timeout in ms. @default 150 */
  timeoutMs?: number;
};

/**
 * An Upstash client whose every call gives up after `timeoutMs`:
 * - `signal` is a *function*, so each request gets a fresh timeout signal. A static signal would
 *   make the client resolve `null` for every later command without sending it, silently turning a
 *   DEL into a no-op;
 * - `retry: { retries: 0 }`: one attempt; the default retries for ~4.3 s on network errors;
 * - no auto-pipelining: one command is one HTTP request, so round trips are what the code says;
 * - no automatic deserialization: the cache decodes its own envelopes, and a stored `null` is not
 *   confused with a miss;
 * - no telemetry headers.
 */
export function createUpstashRedis(options: UpstashRedisOptions): Redis {
  const timeoutMs = options.timeoutMs ?? 150;
  return new Redis({
    url: options.url,
    token: options.token,
    signal: () => AbortSignal.timeout(timeoutMs),
    retry: { retries: 0 },
    enableAutoPipelining: false,
    automaticDeserialization: false,
    enableTelemetry: false,
    readYourWrites: false,
  });
}

/** The cache's {@link RedisPort} over an Upstash client. */
export function upstashPort(redis: Redis): RedisPort {
  return {
    evalsha: (sha1, keys, args) => redis.evalsha(sha1, keys, args),
    eval: (script, keys, args) => redis.eval(script, keys, args),
  };
}
