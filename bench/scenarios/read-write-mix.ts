/**
 * Read/write mix: 16 clients for a few seconds, 90% reads / 10% writes over 20 products, half of
 * all operations on one hot product. Reports throughput, read latency, Postgres queries per read and
 * stale reads (a read invoked after a write was acknowledged that returned an older version).
 * Targets for core: read p50 ≤ 1.5× the hit p50 of the same run, throughput ≥ 2× no cache, 0 stale.
 * The paths take turns (see {@link measureInTurns}).
 *
 * Its floor ({@link mixFloor}) runs the same operations with every read replaced by the one-GET
 * probe and every write done by the no-cache path: the most any cache whose reads cost a Redis
 * round trip and whose writes cost at least the plain `UPDATE` can get out of this machine.
 */
import type { Cluster, ReadSample, WriteSample } from "../lib/cluster";
import type { DispatchFloor } from "../lib/dispatch-floor";
import { staleReads } from "../lib/staleness";
import { percentile, seededRandom } from "../lib/summary";
import {
  concurrentClients,
  errorCount,
  hitBreakdown,
  latencyMetrics,
  type Metrics,
  type PathContext,
  type Scenario,
  statusCounts,
  takeTurns,
} from "./scenario";

const PRODUCTS = 20;
/** Concurrent clients of the mix. */
export const MIX_CLIENTS = 16;
const WRITE_SHARE = 0.1;
const HOT_SHARE = 0.5;
const idOf = (i: number) => `mix-${i}`;

/** Turns of each path in the mix (see {@link measureInTurns}). */
const MIX_TURNS = 3;

/** How long the mix (and its floor) runs, in ms; the mix spreads it over its turns. */
export function mixDurationMs(quick: boolean): number {
  return quick ? 3000 : 6000;
}

/** One operation of the mix: the product, and whether it is a write. */
type MixOperation = { id: string; write: boolean };

/** Each client's seeded operation sequence (the same for every path of one `--seed`). */
function mixOperations(seed: number): (client: number) => MixOperation {
  const randoms = Array.from({ length: MIX_CLIENTS }, (_, c) => seededRandom(seed * 1000 + c));
  return (client) => {
    const random = randoms[client] ?? Math.random;
    const id = random() < HOT_SHARE ? idOf(0) : idOf(1 + Math.floor(random() * (PRODUCTS - 1)));
    return { id, write: random() < WRITE_SHARE };
  };
}

/**
 * The mix's floor on this machine: its closed loop and operation sequence, each read a one-GET
 * probe (a plain `fetch` of one Upstash `GET`) and each write the no-cache path's (one `UPDATE`).
 * Its p50 is that of the probes, its rate counts reads and writes, like the mix's throughput.
 */
export async function mixFloor(
  cluster: Cluster,
  seed: number,
  durationMs: number,
): Promise<DispatchFloor> {
  const next = mixOperations(seed);
  const latencies: number[] = [];
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await concurrentClients(MIX_CLIENTS, async (client) => {
    if (performance.now() - started >= durationMs) {
      return false;
    }
    const { id, write } = next(client);
    try {
      if (write) {
        const sample = await cluster.write("nocache", id);
        if (sample.error !== undefined) {
          throw new Error(sample.error);
        }
      } else {
        latencies.push(await cluster.ping("one-get"));
      }
      operations += 1;
    } catch (err: unknown) {
      errors += 1;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
    return true;
  });
  const elapsedS = (performance.now() - started) / 1000;
  return {
    kind: "mix",
    clients: MIX_CLIENTS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: operations / elapsedS,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** See the module comment. */
export const readWriteMix: Scenario = {
  id: "mix",
  title: `Read/write mix (90/10, ${PRODUCTS} products with a hot one, ${MIX_CLIENTS} clients)`,
  description: `${MIX_CLIENTS} clients, ${WRITE_SHARE * 100}% writes, ${HOT_SHARE * 100}% of operations on one hot product; the operation sequence is seeded.`,
  cluster: "default",
  rows: [
    { key: "opsPerSecond", label: "throughput, operations / s", ratio: true, digits: 0 },
    {
      key: "writesPerSecond",
      label: "of which writes / s (closed loop: faster paths write more)",
      ratio: true,
      digits: 0,
    },
    { key: "p50", label: "read p50 ms", ratio: true },
    { key: "p99", label: "read p99 ms", ratio: true },
    { key: "pgPerRead", label: "Postgres queries / read", ratio: true, digits: 3 },
    { key: "staleReads", label: "stale reads", digits: 0 },
    {
      key: "bypassed",
      label: "reads answered without Redis (core: timeout or breaker open)",
      digits: 0,
    },
    { key: "errors", label: "errors", digits: 0 },
  ],
  seedIds: () => Array.from({ length: PRODUCTS }, (_, i) => idOf(i)),
  run: async (ctx, path) => (await measureInTurns([{ path, ctx }]))[0] ?? {},
  runInterleaved: measureInTurns,
};

/** One path's operations and round trips over its turns. */
type Tally = {
  next: (client: number) => MixOperation;
  reads: (ReadSample & { id: string })[];
  writes: (WriteSample & { id: string })[];
  elapsedMs: number;
  pgByReads: number;
  pgByWrites: number;
  redisByReads: number;
  redis: number;
};

/**
 * Runs the mix for every path, the paths taking turns ({@link MIX_TURNS} turns each, each round
 * led by the next path), so that no path's throughput is decided by the stretch of time it
 * happened to run in: this machine's speed drifts by more between seconds than the paths differ.
 * Every turn starts from a flushed cache, as a path's whole run did before.
 */
async function measureInTurns(paths: readonly PathContext[]): Promise<Metrics[]> {
  const quick = paths[0]?.ctx.options.quick ?? false;
  const turns = quick ? 1 : MIX_TURNS;
  const turnMs = mixDurationMs(quick) / turns;
  const tallies = paths.map(
    ({ ctx }): Tally => ({
      next: mixOperations(ctx.options.seed),
      reads: [],
      writes: [],
      elapsedMs: 0,
      pgByReads: 0,
      pgByWrites: 0,
      redisByReads: 0,
      redis: 0,
    }),
  );
  await takeTurns(paths.length, turns, async (i) => {
    const entry = paths[i];
    const tally = tallies[i];
    if (entry !== undefined && tally !== undefined) {
      await runTurn(entry, tally, turnMs);
    }
  });
  return tallies.map(metricsOf);
}

/** One turn of one path: a flushed cache, then the closed loop for `durationMs`. */
async function runTurn({ path, ctx }: PathContext, tally: Tally, durationMs: number) {
  await ctx.fresh();
  const started = performance.now();
  await concurrentClients(MIX_CLIENTS, async (client) => {
    if (performance.now() - started >= durationMs) {
      return false;
    }
    const { id, write } = tally.next(client);
    if (write) {
      tally.writes.push({ ...(await ctx.cluster.write(path, id)), id });
    } else {
      tally.reads.push({ ...(await ctx.cluster.read(path, id)), id });
    }
    return true;
  });
  tally.elapsedMs += performance.now() - started;
  const stats = await ctx.cluster.settle();
  tally.pgByReads += stats.byKind.read.postgres;
  tally.pgByWrites += stats.byKind.write.postgres;
  tally.redisByReads += stats.byKind.read.redis;
  tally.redis += stats.redis;
}

function metricsOf({ reads, writes, elapsedMs, ...counts }: Tally): Metrics {
  const acked = writes.flatMap((w) =>
    w.answer?.version == null
      ? []
      : [{ id: w.id, completedAt: w.completedAt, version: w.answer.version }],
  );
  const answered = reads.flatMap((r) =>
    r.answer === undefined ? [] : [{ id: r.id, invokedAt: r.invokedAt, version: r.answer.version }],
  );
  const stale = staleReads(answered, acked);
  return {
    ...latencyMetrics(reads),
    elapsedMs,
    reads: reads.length,
    writes: writes.length,
    opsPerSecond: (reads.length + writes.length) / (elapsedMs / 1000),
    writesPerSecond: writes.length / (elapsedMs / 1000),
    // Queries started by reads (their loads, background refreshes included), and by writes.
    pgPerRead: counts.pgByReads / Math.max(1, reads.length),
    pgPerWrite: counts.pgByWrites / Math.max(1, writes.length),
    redisPerRead: counts.redisByReads / Math.max(1, reads.length),
    redisPerOperation: counts.redis / Math.max(1, reads.length + writes.length),
    staleReads: stale.length,
    staleHotReads: stale.filter((r) => r.id === idOf(0)).length,
    errors: errorCount(reads) + errorCount(writes),
    bypassed: reads.filter((r) => r.answer?.status === "bypass").length,
    ...hitBreakdown(reads),
    ...statusCounts(reads),
  };
}
