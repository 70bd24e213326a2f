/**
 * A hot key expiring under steady load: ~20 concurrent readers of one product for a few seconds,
 * with a 1 s TTL, so the entry expires again and again while it is being read. Run twice: with the
 * project's default stale window (`STALE_TTL_SECONDS`, refresh in the background) and without one
 * (`STALE_TTL_SECONDS=0`: every expiry is a real miss under load).
 */
import type { ReadSample } from "../lib/cluster";
import {
  concurrentClients,
  errorCount,
  latencyMetrics,
  type Metrics,
  type Scenario,
  statusCounts,
} from "./scenario";

/** TTL of the hot entry in this scenario, in seconds (the cluster is started with it). */
export const SHORT_TTL_SECONDS = 1;
const READERS = 20;
const ID = "expiring-1";

function expiringScenario(noStale: boolean): Scenario {
  return {
    id: noStale ? "expiring-no-stale" : "expiring",
    title: noStale
      ? `Hot key expiring, no stale window (TTL ${SHORT_TTL_SECONDS} s, STALE_TTL_SECONDS=0, ${READERS} readers)`
      : `Hot key expiring under load (TTL ${SHORT_TTL_SECONDS} s, default stale window, ${READERS} readers)`,
    description: `${READERS} concurrent readers loop over one product whose entry lives ${SHORT_TTL_SECONDS} s${noStale ? " with no stale window" : ""}.`,
    cluster: noStale ? "short-ttl-no-stale" : "short-ttl",
    rows: [
      {
        key: "pgPerExpiry",
        label: `Postgres loads per ${SHORT_TTL_SECONDS} s TTL period`,
        ratio: true,
        digits: 2,
      },
      { key: "p50", label: "p50 ms", ratio: true },
      { key: "p99", label: "p99 ms", ratio: true },
      { key: "requestsPerSecond", label: "reads / s", ratio: true, digits: 0 },
    ],
    seedIds: () => [ID],
    async run(ctx, path) {
      await ctx.fresh();
      await ctx.cluster.read(path, ID);
      await ctx.cluster.settle();
      await ctx.cluster.resetStats();
      const durationMs = ctx.options.quick ? 3000 : 6000;
      const samples: ReadSample[] = [];
      const started = performance.now();
      await concurrentClients(READERS, async () => {
        if (performance.now() - started >= durationMs) {
          return false;
        }
        samples.push(await ctx.cluster.read(path, ID));
        return true;
      });
      const elapsedMs = performance.now() - started;
      const stats = await ctx.cluster.settle();
      const periods = elapsedMs / 1000 / SHORT_TTL_SECONDS;
      const metrics: Metrics = {
        ...latencyMetrics(samples),
        requests: samples.length,
        elapsedMs,
        requestsPerSecond: samples.length / (elapsedMs / 1000),
        pgTotal: stats.postgres,
        pgPerExpiry: stats.postgres / periods,
        redisPerRequest: stats.redis / samples.length,
        errors: errorCount(samples),
        ...statusCounts(samples),
      };
      return metrics;
    },
  };
}

/** With the default stale window. */
export const expiringHotKey = expiringScenario(false);
/** With `STALE_TTL_SECONDS=0`. */
export const expiringHotKeyNoStale = expiringScenario(true);
