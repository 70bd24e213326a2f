/**
 * Exact outbound round-trip counts for a bench host (the Worker inside workerd, or `node-host.ts`).
 *
 * `globalThis.fetch` is wrapped once per isolate: every request to the Upstash URL is one Redis
 * round trip, every request to the Neon server's `/sql` endpoint is one Postgres query, whoever makes
 * it (the cache core, the naive recipe, a peer library, Drizzle) and whenever (on the critical path
 * or inside `waitUntil`). Clients that do not use `fetch` (ioredis, in Node) report each command
 * through {@link countCall}. An `AsyncLocalStorage` store per incoming request attributes each round
 * trip to the request that started it, so a response can also say how many round trips finished
 * before it was ready (its critical path), and the totals are kept per kind of request (reads,
 * writes). Background work is tracked through {@link trackedBackground} so the runner can wait until
 * an isolate is quiet instead of sleeping.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { BackgroundContext } from "lease-cache";
import type { CriticalCalls, IsolateStats } from "./protocol";

type Target = "redis" | "postgres" | "other";
type FetchInput = Parameters<typeof fetch>[0];
/** The kind of bench request a round trip belongs to. */
export type RequestKind = "read" | "write";
type RequestScope = { kind: RequestKind; calls: CriticalCalls; open: boolean };

const scopes = new AsyncLocalStorage<RequestScope>();
const stats: IsolateStats = {
  redis: 0,
  postgres: 0,
  other: 0,
  byKind: { read: { redis: 0, postgres: 0 }, write: { redis: 0, postgres: 0 } },
  inflight: 0,
  background: 0,
  requests: 0,
};
let targets: { redisOrigin: string; sqlOrigin: string } | undefined;

/**
 * Installs the counting `fetch` (first call per isolate only; later calls just refresh the target
 * URLs, which are the same bindings for every request of an isolate).
 * @param redisUrl the Upstash REST URL (`UPSTASH_REDIS_REST_URL`)
 * @param neonHostPort the local Neon server (`NEON_LOCAL_PROXY`)
 */
export function installFetchCounter(redisUrl: string, neonHostPort: string): void {
  const first = targets === undefined;
  targets = { redisOrigin: new URL(redisUrl).origin, sqlOrigin: `http://${neonHostPort}` };
  if (!first) {
    return;
  }
  const original = globalThis.fetch;
  const counting = (input: FetchInput, init?: RequestInit): Promise<Response> =>
    countCall(classify(input), () => original(input, init));
  globalThis.fetch = counting as typeof fetch;
}

/**
 * Counts one outbound round trip to `target` made by `run`: in the isolate totals, in the totals of
 * the kind of request it belongs to, and on that request's critical path if it finished while the
 * request was still being answered.
 */
export async function countCall<T>(target: Target, run: () => Promise<T>): Promise<T> {
  stats[target] += 1;
  stats.inflight += 1;
  const scope = scopes.getStore();
  if (scope !== undefined && target !== "other") {
    stats.byKind[scope.kind][target] += 1;
  }
  try {
    const result = await run();
    if (scope?.open === true && target !== "other") {
      scope.calls[target] += 1;
    }
    return result;
  } finally {
    stats.inflight -= 1;
  }
}

function classify(input: FetchInput): Target {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  if (targets === undefined) {
    return "other";
  }
  if (url.origin === targets.redisOrigin) {
    return "redis";
  }
  if (url.origin === targets.sqlOrigin && url.pathname === "/sql") {
    return "postgres";
  }
  return "other";
}

/**
 * Runs one bench request of `kind` in its own counting scope. `work` receives the scope's
 * counters; they stop counting once `work` has settled (later, background round trips only reach
 * the isolate's and the kind's totals).
 */
export async function withRequestScope<T>(
  kind: RequestKind,
  work: (calls: CriticalCalls) => Promise<T>,
): Promise<{ result: T; calls: CriticalCalls }> {
  stats.requests += 1;
  const scope: RequestScope = { kind, calls: { redis: 0, postgres: 0 }, open: true };
  try {
    const result = await scopes.run(scope, () => work(scope.calls));
    return { result, calls: { ...scope.calls } };
  } finally {
    scope.open = false;
  }
}

/** A `BackgroundContext` over `ctx` that also counts unsettled `waitUntil` promises. */
export function trackedBackground(ctx: BackgroundContext): BackgroundContext {
  return {
    waitUntil(promise: Promise<unknown>): void {
      stats.background += 1;
      const settled = () => {
        stats.background -= 1;
      };
      promise.then(settled, settled);
      ctx.waitUntil(promise);
    },
  };
}

/** A copy of the isolate's counters. */
export function readStats(): IsolateStats {
  const { read, write } = stats.byKind;
  return { ...stats, byKind: { read: { ...read }, write: { ...write } } };
}

/** Zeroes the counters (in-flight and background gauges are live values and are kept). */
export function resetStats(): void {
  stats.redis = 0;
  stats.postgres = 0;
  stats.other = 0;
  stats.requests = 0;
  stats.byKind = { read: { redis: 0, postgres: 0 }, write: { redis: 0, postgres: 0 } };
}
