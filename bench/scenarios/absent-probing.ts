/**
 * Probing absent ids: 200 reads spread over 10 ids that do not exist, 10 at a time. The core caches
 * "absent" in an envelope (≈ 10 queries); the naive recipe stores `null`, which `@upstash/redis`
 * reads back as a miss, so it queries every time (≈ 200).
 */
import type { ReadSample } from "../lib/cluster";
import {
  concurrentClients,
  errorCount,
  latencyMetrics,
  type Scenario,
  statusCounts,
} from "./scenario";

const IDS = 10;
const CLIENTS = 10;
const count = (quick: boolean) => (quick ? 100 : 200);

/**
 * The absent-id budget's identity of every read of an absent id in the bench: a client that finds
 * nothing pays the budget's Redis check on its later loads for a minute, so the other scenarios'
 * client must never be the one that probes.
 */
export const PROBER_CLIENT = "prober";
/** See the module comment. */
export const absentProbing: Scenario = {
  id: "absent",
  title: `Probing absent ids (reads over ${IDS} absent ids, ${CLIENTS} at a time)`,
  description: `Reads of ${IDS} ids that do not exist, ${CLIENTS} concurrent clients, ids in rotation.`,
  cluster: "default",
  rows: [
    { key: "pgTotal", label: "Postgres queries, total", ratio: true, digits: 0 },
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    { key: "redisPerRequest", label: "Redis round trips / request", ratio: true, digits: 2 },
  ],
  seedIds: () => [],
  async run(ctx, path) {
    await ctx.fresh();
    const total = count(ctx.options.quick);
    const samples: ReadSample[] = [];
    let next = 0;
    await concurrentClients(CLIENTS, async () => {
      const i = next++;
      if (i >= total) {
        return false;
      }
      // A client of its own: a prober pays the budget's check on its later misses, others do not.
      samples.push(await ctx.cluster.read(path, `absent-${i % IDS}`, { client: PROBER_CLIENT }));
      return true;
    });
    const stats = await ctx.cluster.settle();
    return {
      ...latencyMetrics(samples),
      requests: total,
      pgTotal: stats.postgres,
      redisPerRequest: stats.redis / total,
      notFoundAnswers: samples.filter((s) => s.answer?.version === null).length,
      errors: errorCount(samples),
      ...statusCounts(samples),
    };
  },
};
