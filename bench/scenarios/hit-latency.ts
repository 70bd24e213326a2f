/** Hit latency: one warm key read sequentially. Target for core: 1 Redis round trip, 0 queries. */
import { mean } from "../lib/summary";
import {
  criticalRedis,
  errorCount,
  latencyMetrics,
  type Scenario,
  sequentialReads,
  statusCounts,
} from "./scenario";

const ID = "hit-1";

/** See the module comment. */
export const hitLatency: Scenario = {
  id: "hit",
  title: "Hit latency (warm key, sequential reads)",
  description:
    "One product read sequentially after it was cached (each isolate read it once first and background work settled).",
  cluster: "default",
  rows: [
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    { key: "redisPerRequest", label: "Redis round trips / request", ratio: true, digits: 2 },
    { key: "pgPerRequest", label: "Postgres queries / request", digits: 2 },
  ],
  seedIds: () => [ID],
  async run(ctx, path) {
    await ctx.fresh();
    // p99 is the 10th slowest of 1000: with 300 it was the 3rd, and one hiccup moved it.
    const count = ctx.options.quick ? 60 : 1000;
    // Warm the key and every isolate's own state, then measure from zeroed counters.
    await sequentialReads(ctx.cluster, path, () => ID, ctx.cluster.isolates * 2);
    await ctx.cluster.settle();
    await ctx.cluster.resetStats();
    const samples = await sequentialReads(ctx.cluster, path, () => ID, count);
    const stats = await ctx.cluster.settle();
    return {
      ...latencyMetrics(samples),
      requests: count,
      redisPerRequest: stats.redis / count,
      redisCriticalPerRequest: mean(criticalRedis(samples)),
      pgPerRequest: stats.postgres / count,
      errors: errorCount(samples),
      ...statusCounts(samples),
    };
  },
};
