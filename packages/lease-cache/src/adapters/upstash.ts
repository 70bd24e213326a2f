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

/** The part of an `@upstash/redis` client the port uses (`Redis` of 1.34 or later has it). */
export type UpstashLike = {
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  evalshaRo(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  evalRo(script: string, keys: string[], args: string[]): Promise<unknown>;
  /** The client's read-your-writes position (with `readYourWrites: true`). */
  readYourWritesSyncToken: string | undefined;
};

/** Options of {@link upstashClientOptions}. */
export type UpstashClientOptionsInput = {
  /** Per-call timeout in ms; match the cache's `redisTimeoutMs`. @default 150 */
  timeoutMs?: number;
  /**
   * Track Upstash's sync token (read-your-writes across read regions): needed for bookmarks and
   * for `readConsistency: "nearest"`. Build one client per request then, so tokens never leak
   * from one request to another. @default false
   */
  readYourWrites?: boolean;
};

/** The `@upstash/redis` constructor options the cache relies on (see {@link upstashClientOptions}). */
export type UpstashClientOptions = {
  signal: () => AbortSignal;
  retry: { retries: 0 };
  enableAutoPipelining: false;
  automaticDeserialization: false;
  enableTelemetry: false;
  readYourWrites: boolean;
};

/**
 * The signal of the cache's call being sent right now. `@upstash/redis` asks its `signal` option
 * for a signal synchronously inside the command call (in `HttpClient.request`, before its first
 * `await`), so this is set exactly while one of the port's calls is on the stack.
 */
let sendingSignal: AbortSignal | undefined;

/** Runs `send` (one client call) so that the client's request takes `signal`. */
function sendWith<T>(signal: AbortSignal | undefined, send: () => T): T {
  sendingSignal = signal;
  try {
    return send();
  } finally {
    sendingSignal = undefined;
  }
}

/**
 * Options to spread into `new Redis({ url, token, ... })` so every call ends and means exactly
 * one HTTP request:
 * - `signal` is a *function*, so each request gets a signal of its own: the cache's own calls get
 *   the cache's signal, aborted when the cache gives up on the call (no timer of their own); any
 *   other call on the client (a rate limiter's, a health check's) a timeout at twice `timeoutMs`.
 *   A static signal would make the client resolve `null` for every later command without sending
 *   it, silently turning an invalidation into a no-op;
 * - `retry: { retries: 0 }`: one attempt (the default retries for ~4.3 s on network errors);
 * - no auto-pipelining, so round trips are what the code says;
 * - no automatic deserialization: the cache decodes its own envelopes;
 * - no telemetry headers; read-your-writes tracking only when asked for.
 */
export function upstashClientOptions(
  options: UpstashClientOptionsInput = {},
): UpstashClientOptions {
  const timeoutMs = options.timeoutMs ?? defaultCacheConfig.redisTimeoutMs;
  return {
    // A timer per call costs CPU and fires long after the response, in some later request's time:
    // the cache's calls carry its signal instead.
    // @mutation-point upstash.signal
    signal: () => sendingSignal ?? AbortSignal.timeout(timeoutMs * 2),
    retry: { retries: 0 },
    enableAutoPipelining: false,
    automaticDeserialization: false,
    enableTelemetry: false,
    readYourWrites: options.readYourWrites ?? false,
  };
}

/**
 * The cache's {@link RedisPort} over an `@upstash/redis` client: scripts in Upstash's dialect
 * (per-key locking), read-only scripts as EVALSHA_RO (a read region may answer them), each call's
 * fetch ended by the cache's signal (with {@link upstashClientOptions}), and the client's sync
 * token as the read-your-writes position.
 */
export function upstashPort(redis: UpstashLike): RedisPort {
  return {
    dialect: "upstash",
    evalsha: (sha1, keys, args, signal) => sendWith(signal, () => redis.evalsha(sha1, keys, args)),
    eval: (script, keys, args, signal) => sendWith(signal, () => redis.eval(script, keys, args)),
    evalshaRo: (sha1, keys, args, signal) =>
      sendWith(signal, () => redis.evalshaRo(sha1, keys, args)),
    evalRo: (script, keys, args, signal) =>
      sendWith(signal, () => redis.evalRo(script, keys, args)),
    syncToken: {
      // The client reports "" before it has seen a token: no position at all.
      get: () => redis.readYourWritesSyncToken || undefined,
      set: (token) => {
        redis.readYourWritesSyncToken = token;
      },
    },
  };
}
