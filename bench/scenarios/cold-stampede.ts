/**
 * Cold stampede: 500 concurrent reads of one cold key, spread over the isolates. Targets for core:
 * 1 Postgres load, waiter p99 ≤ 30 ms over the fill time, ≤ 10 Redis round trips per request.
 *
 * Fill time = latency of the request that loaded (the fastest one if several did); a waiter's excess
 * = its latency minus the fill time. Both on the bench's clock (end-to-end) and on the Worker's
 * clock (in-Worker time of each request).
 */
import type { ReadSample } from "../lib/cluster";
import { max, percentile } from "../lib/summary";
import type { BenchPath } from "../worker";
import {
  criticalRedis,
  errorCount,
  latencyMetrics,
  type Metrics,
  type Scenario,
  statusCounts,
} from "./scenario";

/** Concurrent requests of the stampede. */
export const STAMPEDE_SIZE = 500;
const ID = "stampede-1";

/** See the module comment. */
export const coldStampede: Scenario = {
  id: "stampede",
  title: `Cold stampede (${STAMPEDE_SIZE} concurrent reads of one cold key)`,
  description: `${STAMPEDE_SIZE} reads of one uncached product sent at once, round-robin over the isolates.`,
  cluster: "default",
  rows: [
    { key: "pgTotal", label: "Postgres loads, total", ratio: true, digits: 0 },
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    { key: "fillMs", label: "fill time ms (the loading request)" },
    { key: "waiterExcessP50", label: "waiter p50 over fill time, ms", ratio: true },
    { key: "waiterExcessP99", label: "waiter p99 over fill time, ms", ratio: true },
    { key: "workerWaiterExcessP99", label: "waiter p99 over fill time, in-Worker ms", ratio: true },
    {
      key: "redisPerRequest",
      label: "Redis round trips / request (total / 500)",
      ratio: true,
      digits: 2,
    },
    {
      key: "redisMaxPerRequest",
      label: "Redis round trips, max for one request",
      ratio: true,
      digits: 0,
    },
    { key: "bypassed", label: "answered without Redis (core: Redis call timed out)", digits: 0 },
    { key: "errors", label: "errors", digits: 0 },
  ],
  seedIds: () => [ID],
  async run(ctx, path) {
    await ctx.fresh();
    const samples = await Promise.all(
      Array.from({ length: STAMPEDE_SIZE }, () => ctx.cluster.read(path, ID)),
    );
    const stats = await ctx.cluster.settle();
    return {
      ...latencyMetrics(samples),
      ...waiterMetrics(samples, path),
      requests: STAMPEDE_SIZE,
      pgTotal: stats.postgres,
      redisPerRequest: stats.redis / STAMPEDE_SIZE,
      redisMaxPerRequest: max(maxRedisPerRequest(samples, path)),
      errors: errorCount(samples),
      bypassed: samples.filter((x) => x.answer?.status === "bypass").length,
      ...statusCounts(samples),
    };
  },
};

/** Core: its own `outcome.redisCalls`; the others: what the Worker counted for each request. */
function maxRedisPerRequest(samples: readonly ReadSample[], path: BenchPath): number[] {
  if (path !== "core") {
    return criticalRedis(samples);
  }
  return samples.flatMap((s) =>
    s.answer?.outcome === undefined ? [] : [s.answer.outcome.redisCalls],
  );
}

function waiterMetrics(samples: readonly ReadSample[], path: BenchPath): Metrics {
  const ok = samples.filter((s) => s.answer !== undefined);
  const loaders = ok.filter((s) => (s.answer?.calls.postgres ?? 0) > 0);
  if (path === "nocache" || loaders.length === 0) {
    return {
      fillMs: null,
      waiterExcessP50: null,
      waiterExcessP99: null,
      workerWaiterExcessP99: null,
    };
  }
  const fill = loaders.reduce((a, b) => (b.latencyMs < a.latencyMs ? b : a));
  const fillWorker = Math.min(...loaders.map((s) => s.answer?.serverMs ?? Infinity));
  const waiters = ok.filter((s) => (s.answer?.calls.postgres ?? 0) === 0);
  const excess = waiters.map((s) => s.latencyMs - fill.latencyMs);
  const workerExcess = waiters.map((s) => (s.answer?.serverMs ?? 0) - fillWorker);
  return {
    fillMs: fill.latencyMs,
    workerFillMs: fillWorker,
    loaders: loaders.length,
    waiterExcessP50: percentile(excess, 50),
    waiterExcessP99: percentile(excess, 99),
    workerWaiterExcessP50: percentile(workerExcess, 50),
    workerWaiterExcessP99: percentile(workerExcess, 99),
  };
}
