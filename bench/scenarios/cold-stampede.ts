/**
 * Cold stampede: 500 concurrent reads of one cold key, spread over the isolates. Targets for core:
 * 1 Postgres load, waiter p99 ≤ 30 ms over the fill time, ≤ 10 Redis round trips per request.
 *
 * Fill time = latency of the request that loaded (the fastest one if several did); a waiter's excess
 * = its latency minus the fill time. Both on the bench's clock (end-to-end) and on the Worker's
 * clock (in-Worker time of each request). The stampede is repeated (5 times, 1 with `--quick`) on
 * fresh keys; percentiles pool every repetition's requests, each measured against its own fill.
 *
 * *Intake* = how long the slower isolate took to start the handlers of all its requests (first to
 * last start, on its clock). An isolate reads a reply only after the requests queued before it, so
 * a waiter answered early in-Worker needs an intake shorter than the target.
 */
import type { Cluster, ReadSample } from "../lib/cluster";
import { max, percentile } from "../lib/summary";
import type { BenchPath } from "../protocol";
import { criticalRedis, errorCount, latencyMetrics, type Scenario, statusCounts } from "./scenario";

/** Concurrent requests of the stampede. */
export const STAMPEDE_SIZE = 500;
const repetitions = (quick: boolean) => (quick ? 1 : 5);
const idOf = (rep: number) => `stampede-${rep + 1}`;

/** See the module comment. */
export const coldStampede: Scenario = {
  id: "stampede",
  title: `Cold stampede (${STAMPEDE_SIZE} concurrent reads of one cold key)`,
  description: `${STAMPEDE_SIZE} reads of one uncached product sent at once, round-robin over the isolates.`,
  cluster: "default",
  rows: [
    { key: "pgPerStampede", label: "Postgres loads per stampede (mean)", ratio: true, digits: 1 },
    { key: "pgMaxPerStampede", label: "Postgres loads per stampede (max)", ratio: true, digits: 0 },
    { key: "p50", label: "p50 ms", ratio: true },
    { key: "p99", label: "p99 ms", ratio: true },
    { key: "fillMs", label: "fill time ms (the loading request, median)" },
    { key: "waiterExcessP50", label: "waiter p50 over fill time, ms", ratio: true },
    { key: "waiterExcessP99", label: "waiter p99 over fill time, ms", ratio: true },
    { key: "workerWaiterExcessP99", label: "waiter p99 over fill time, in-Worker ms", ratio: true },
    { key: "intakeMsP50", label: "intake of the slower isolate, ms (median of repetitions)" },
    { key: "intakeMsMax", label: "intake of the slower isolate, ms (max)" },
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
    { key: "bypassed", label: "answered without Redis (core: a Redis call timed out)", digits: 0 },
    { key: "errors", label: "errors", digits: 0 },
  ],
  seedIds: (options) => Array.from({ length: repetitions(options.quick) }, (_, r) => idOf(r)),
  async run(ctx, path) {
    const reps = repetitions(ctx.options.quick);
    const all: ReadSample[] = [];
    const waits: Waits = { fill: [], workerFill: [], excess: [], workerExcess: [] };
    const loads: number[] = [];
    const intakes: number[] = [];
    let redis = 0;
    for (let rep = 0; rep < reps; rep++) {
      await ctx.fresh();
      await openConnections(ctx.cluster);
      const samples = await Promise.all(
        Array.from({ length: STAMPEDE_SIZE }, () => ctx.cluster.read(path, idOf(rep))),
      );
      const stats = await ctx.cluster.settle();
      all.push(...samples);
      loads.push(stats.postgres);
      redis += stats.redis;
      collectWaits(samples, waits);
      intakes.push(slowestIntake(samples));
    }
    const none = path === "nocache" || waits.fill.length === 0;
    return {
      ...latencyMetrics(all),
      repetitions: reps,
      requests: all.length,
      pgPerStampede: loads.reduce((a, b) => a + b, 0) / reps,
      pgMaxPerStampede: max(loads),
      pgTotal: loads.reduce((a, b) => a + b, 0),
      fillMs: none ? null : percentile(waits.fill, 50),
      workerFillMs: none ? null : percentile(waits.workerFill, 50),
      waiterExcessP50: none ? null : percentile(waits.excess, 50),
      waiterExcessP99: none ? null : percentile(waits.excess, 99),
      workerWaiterExcessP50: none ? null : percentile(waits.workerExcess, 50),
      workerWaiterExcessP99: none ? null : percentile(waits.workerExcess, 99),
      intakeMsP50: percentile(intakes, 50),
      intakeMsMax: max(intakes),
      redisPerRequest: redis / all.length,
      redisMaxPerRequest: max(maxRedisPerRequest(all, path)),
      errors: errorCount(all),
      bypassed: all.filter((x) => x.answer?.status === "bypass").length,
      ...statusCounts(all),
    };
  },
};

/**
 * Has the bench's client open a connection per request of the stampede (a burst of `GET /stats`),
 * as the edge's connections to a Worker are open before a stampede. Otherwise the first repetition
 * spends its intake opening 500 TCP connections, the load is done before most requests have
 * arrived, and those requests are hits under a connection flood, not waiters.
 */
async function openConnections(cluster: Cluster): Promise<void> {
  await Promise.all(Array.from({ length: STAMPEDE_SIZE }, () => cluster.ping()));
}

/** First to last handler start of one isolate's requests, for the isolate that took longest. */
function slowestIntake(samples: readonly ReadSample[]): number {
  const spans = new Map<number, { first: number; last: number }>();
  for (const s of samples) {
    if (s.answer === undefined) {
      continue;
    }
    const at = s.answer.startedAt;
    const span = spans.get(s.isolate);
    spans.set(s.isolate, {
      first: Math.min(span?.first ?? at, at),
      last: Math.max(span?.last ?? at, at),
    });
  }
  return max([...spans.values()].map(({ first, last }) => last - first)) ?? 0;
}

/** Core: its own `outcome.redisCalls`; the others: what the Worker counted for each request. */
function maxRedisPerRequest(samples: readonly ReadSample[], path: BenchPath): number[] {
  if (path !== "core") {
    return criticalRedis(samples);
  }
  return samples.flatMap((s) =>
    s.answer?.outcome === undefined ? [] : [s.answer.outcome.redisCalls],
  );
}

type Waits = { fill: number[]; workerFill: number[]; excess: number[]; workerExcess: number[] };

/** Adds one stampede's fill time and its waiters' excess over it (both clocks) to `waits`. */
function collectWaits(samples: readonly ReadSample[], waits: Waits): void {
  const ok = samples.filter((s) => s.answer !== undefined);
  // The loaders are the requests whose own critical path included a Postgres query.
  const loaders = ok.filter((s) => (s.answer?.calls.postgres ?? 0) > 0);
  if (loaders.length === 0) {
    return;
  }
  const fill = Math.min(...loaders.map((s) => s.latencyMs));
  const workerFill = Math.min(...loaders.map((s) => s.answer?.serverMs ?? Infinity));
  waits.fill.push(fill);
  waits.workerFill.push(workerFill);
  for (const s of ok) {
    if ((s.answer?.calls.postgres ?? 0) === 0) {
      waits.excess.push(s.latencyMs - fill);
      waits.workerExcess.push((s.answer?.serverMs ?? 0) - workerFill);
    }
  }
}
