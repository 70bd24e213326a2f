/**
 * Miss latency: every read is a product nobody cached yet. Target for core: 1 Redis round trip and
 * 1 Postgres query on the critical path (the fill runs in the background and is counted separately).
 */
import type { ReadSample } from "../lib/cluster";
import { mean } from "../lib/summary";
import {
  criticalRedis,
  errorCount,
  latencyMetrics,
  type Metrics,
  type Scenario,
  sequentialReads,
  statusCounts,
} from "./scenario";

const count = (quick: boolean) => (quick ? 40 : 150);
const idOf = (i: number) => `miss-${i}`;

/**
 * The Redis calls the cache itself says the read waited for (`outcome.redisCalls`; paths without
 * an outcome report nothing). Calls made inside the loader (the absent-id budget's check) are not
 * among them; the fetch-level count sees those too.
 */
function awaitedRedis(samples: readonly ReadSample[]): Metrics {
  const counts = samples.flatMap((s) =>
    s.answer?.outcome === undefined ? [] : [s.answer.outcome.redisCalls],
  );
  return counts.length === 0 ? {} : { redisAwaitedPerRequest: mean(counts) };
}

/** See the module comment. */
export const missLatency: Scenario = {
  id: "miss",
  title: "Miss latency (each read a cold product, sequential)",
  description:
    "Sequential reads of distinct products that are not cached; Redis totals include background fills.",
  cluster: "default",
  rows: [
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    {
      key: "redisCriticalPerRequest",
      label: "Redis round trips / request, finished while it was answered",
      ratio: true,
      digits: 2,
    },
    {
      key: "redisAwaitedPerRequest",
      label: "Redis round trips / request the cache awaited (its own count)",
      ratio: true,
      digits: 2,
    },
    {
      key: "redisPerRequest",
      label: "Redis round trips / request, fill included",
      ratio: true,
      digits: 2,
    },
    { key: "pgPerRequest", label: "Postgres queries / request", digits: 2 },
  ],
  seedIds: (options) => Array.from({ length: count(options.quick) }, (_, i) => idOf(i)),
  async run(ctx, path) {
    await ctx.fresh();
    const n = count(ctx.options.quick);
    const samples = await sequentialReads(ctx.cluster, path, idOf, n);
    const stats = await ctx.cluster.settle();
    return {
      ...latencyMetrics(samples),
      requests: n,
      redisPerRequest: stats.redis / n,
      redisCriticalPerRequest: mean(criticalRedis(samples)),
      ...awaitedRedis(samples),
      pgCriticalPerRequest: mean(
        samples.flatMap((s) => (s.answer === undefined ? [] : [s.answer.calls.postgres])),
      ),
      pgPerRequest: stats.postgres / n,
      errors: errorCount(samples),
      ...statusCounts(samples),
    };
  },
};
