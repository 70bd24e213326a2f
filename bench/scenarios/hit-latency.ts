/**
 * Hit latency: one warm key read sequentially. Target for core: 1 Redis round trip, 0 queries.
 *
 * The paths take turns in blocks of {@link BLOCK_READS} reads (each block led by the next path), so
 * every path is measured over the same stretch of time: the paths' p50s differ by tenths of a
 * millisecond, which a machine whose speed drifts over seconds would otherwise decide.
 */
import type { ReadSample } from "../lib/cluster";
import { mean } from "../lib/summary";
import {
  criticalRedis,
  errorCount,
  latencyMetrics,
  type Metrics,
  type PathContext,
  type Scenario,
  sequentialReads,
  statusCounts,
  takeTurns,
} from "./scenario";

const ID = "hit-1";
/** Reads per turn of a path. */
export const BLOCK_READS = 100;
/** Reads per path: p99 is the 30th slowest (of 1,000 it moved by a millisecond between runs, either way). */
export const HIT_READS = 3000;

/** One path's samples and round trips so far. */
type Tally = { samples: ReadSample[]; redis: number; postgres: number };

/** See the module comment. */
export const hitLatency: Scenario = {
  id: "hit",
  title: "Hit latency (warm key, sequential reads)",
  description: `One product read sequentially after it was cached (each isolate read it once first and background work settled); the paths take turns in blocks of ${BLOCK_READS} reads.`,
  cluster: "default",
  rows: [
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    { key: "redisPerRequest", label: "Redis round trips / request", ratio: true, digits: 2 },
    { key: "pgPerRequest", label: "Postgres queries / request", digits: 2 },
  ],
  seedIds: () => [ID],
  run: async (ctx, path) => (await measureInTurns([{ path, ctx }]))[0] ?? {},
  runInterleaved: measureInTurns,
};

/** Measures every path's hits, the paths taking turns block by block. */
async function measureInTurns(paths: readonly PathContext[]): Promise<Metrics[]> {
  // Every fresh() flushes the whole run's keys: flush first, then warm each path.
  for (const { ctx } of paths) {
    await ctx.fresh();
  }
  for (const { path, ctx } of paths) {
    // Warm the key and every isolate's own state.
    await sequentialReads(ctx.cluster, path, () => ID, ctx.cluster.isolates * 2);
    await ctx.cluster.settle();
  }
  const count = paths[0]?.ctx.options.quick ? 60 : HIT_READS;
  const blocks = Math.ceil(count / BLOCK_READS);
  const tallies = paths.map((): Tally => ({ samples: [], redis: 0, postgres: 0 }));
  await takeTurns(paths.length, blocks, async (i, block) => {
    const tally = tallies[i];
    const entry = paths[i];
    if (tally !== undefined && entry !== undefined) {
      await measureBlock(entry, tally, Math.min(BLOCK_READS, count - block * BLOCK_READS));
    }
  });
  return tallies.map((tally) => metricsOf(tally));
}

/** Reads `count` hits through one path from zeroed counters and adds them to `tally`. */
async function measureBlock(
  { path, ctx }: PathContext,
  tally: Tally,
  count: number,
): Promise<void> {
  await ctx.cluster.resetStats();
  tally.samples.push(...(await sequentialReads(ctx.cluster, path, () => ID, count)));
  const stats = await ctx.cluster.settle();
  tally.redis += stats.redis;
  tally.postgres += stats.postgres;
}

function metricsOf({ samples, redis, postgres }: Tally): Metrics {
  const count = samples.length;
  return {
    ...latencyMetrics(samples),
    requests: count,
    redisPerRequest: redis / count,
    redisCriticalPerRequest: mean(criticalRedis(samples)),
    pgPerRequest: postgres / count,
    errors: errorCount(samples),
    ...statusCounts(samples),
  };
}
