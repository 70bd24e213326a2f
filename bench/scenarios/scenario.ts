/** What every bench scenario is given and returns, plus the helpers they share. */
import { Redis } from "@upstash/redis";
import { resourceKeys } from "../../src/resource-keys";
import type { BenchOptions } from "../lib/args";
import type { BenchStack } from "../lib/bench-stack";
import type { Cluster, ReadSample, Sample } from "../lib/cluster";
import { percentile } from "../lib/summary";
import { naiveProductKey } from "../paths/naive";
import type { BenchPath } from "../protocol";

/** A scenario's measured values for one path, by metric key (`null` = not applicable). */
export type Metrics = Record<string, number | null>;

/** One row of the output table. */
export type MetricRow = {
  key: string;
  label: string;
  /** Show a "core vs naive" ratio for this row. @default false */
  ratio?: boolean;
  /** Decimals in the table. @default 1 */
  digits?: number;
};

/** The isolates a scenario runs against. */
export type ClusterKind = "default" | "short-ttl" | "short-ttl-no-stale";

/** What a scenario's `run` is given. */
export type ScenarioContext = {
  cluster: Cluster;
  stack: BenchStack;
  options: BenchOptions;
  /** Waits for background work, deletes the run's keys and zeroes the counters. */
  fresh(): Promise<void>;
};

/** A scenario, run once per path with the same inputs. */
export type Scenario = {
  id: string;
  title: string;
  /** One sentence on what is measured, for the JSON and the reports. */
  description: string;
  cluster: ClusterKind;
  rows: MetricRow[];
  /** Product ids to insert before the bench starts. */
  seedIds(options: BenchOptions): string[];
  run(ctx: ScenarioContext, path: BenchPath): Promise<Metrics>;
  /**
   * Runs every path at once instead of one after the other (`run` is then not called): for
   * latency comparisons that a machine whose speed drifts over seconds would otherwise skew.
   */
  runInterleaved?(paths: readonly PathContext[]): Promise<Metrics[]>;
};

/** One path and its context, for {@link Scenario.runInterleaved}. */
export type PathContext = { path: BenchPath; ctx: ScenarioContext };

/**
 * `fresh()` for a cluster and stack. The core's watermark (the highest write id applied) is put
 * back after the flush: the isolates remember the one they saw, and a Redis that forgot it would
 * rightly make them replay every recent write in the background of the next scenario.
 */
export async function freshState(
  cluster: Cluster,
  stack: Pick<BenchStack, "upstash" | "prefix" | "flushKeys">,
): Promise<void> {
  await cluster.settle();
  const redis = new Redis({
    url: stack.upstash.url,
    token: stack.upstash.token,
    enableTelemetry: false,
    automaticDeserialization: false,
  });
  const watermarkKey = resourceKeys(stack.prefix).watermark;
  const watermark = await redis.get<string>(watermarkKey);
  await stack.flushKeys();
  if (watermark !== null) {
    await redis.set(watermarkKey, watermark);
  }
  await cluster.resetStats();
}

/**
 * Deletes the cached products `ids` (the core's and the naive recipe's value keys only), as their
 * TTL would: what Redis keeps past an entry (its revision marker, the watermark) stays.
 */
export async function expireProducts(
  stack: Pick<BenchStack, "upstash" | "prefix">,
  ids: readonly string[],
): Promise<void> {
  const redis = new Redis({
    url: stack.upstash.url,
    token: stack.upstash.token,
    enableTelemetry: false,
  });
  const keys = resourceKeys(stack.prefix);
  await redis.del(
    ...ids.flatMap((id) => [keys.product(id).key, naiveProductKey(stack.prefix, id)]),
  );
}

/** p50 and p99 of end-to-end latency and of in-Worker time over the successful `samples`. */
export function latencyMetrics(samples: readonly ReadSample[], prefix = ""): Metrics {
  const ok = samples.filter((s) => s.answer !== undefined);
  const e2e = ok.map((s) => s.latencyMs);
  const worker = ok.flatMap((s) => (s.answer === undefined ? [] : [s.answer.serverMs]));
  return {
    [`${prefix}p50`]: percentile(e2e, 50),
    [`${prefix}p99`]: percentile(e2e, 99),
    [`${prefix}workerP50`]: percentile(worker, 50),
    [`${prefix}workerP99`]: percentile(worker, 99),
  };
}

/** Answers that came from the cache without waiting (core `hit`, naive `hit`, peers `cached`). */
const HIT_STATUSES: ReadonlySet<string> = new Set(["hit", "cached"]);

/**
 * In-Worker p50/p99 of the reads answered as hits, and (core) the p50 of the cache's own time in
 * them: where a slow read's time goes when most reads are hits.
 */
export function hitBreakdown(samples: readonly ReadSample[]): Metrics {
  const hits = samples.flatMap((s) =>
    s.answer !== undefined && HIT_STATUSES.has(s.answer.status) ? [s.answer] : [],
  );
  const cacheMs = hits.flatMap((a) => (a.outcome === undefined ? [] : [a.outcome.cacheMs]));
  return {
    hitWorkerP50: percentile(
      hits.map((a) => a.serverMs),
      50,
    ),
    hitWorkerP99: percentile(
      hits.map((a) => a.serverMs),
      99,
    ),
    hitCacheMsP50: percentile(cacheMs, 50),
  };
}

/** Failed requests (non-200 or no answer). */
export function errorCount(samples: readonly Sample[]): number {
  return samples.filter((s) => s.httpStatus !== 200).length;
}

/** Runs `count` reads one after another (round-robin over the isolates). */
export async function sequentialReads(
  cluster: Cluster,
  path: BenchPath,
  ids: (i: number) => string,
  count: number,
): Promise<ReadSample[]> {
  const samples: ReadSample[] = [];
  for (let i = 0; i < count; i++) {
    samples.push(await cluster.read(path, ids(i)));
  }
  return samples;
}

/** Runs `clients` loops concurrently until each `step` returns false. */
export async function concurrentClients(
  clients: number,
  step: (client: number) => Promise<boolean>,
): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (await step(client)) {
        // each step does its own request
      }
    }),
  );
}

/**
 * Runs `turn(i, round)` for every one of `count` paths in each of `rounds` rounds, each round led
 * by the next path, so every path is measured over the same stretch of time (this machine's speed
 * drifts by more within a minute than the paths differ).
 */
export async function takeTurns(
  count: number,
  rounds: number,
  turn: (i: number, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let step = 0; step < count; step++) {
      await turn((round + step) % count, round);
    }
  }
}

/** Mean of the per-request critical-path Redis round trips (as the Worker counted them). */
export function criticalRedis(samples: readonly ReadSample[]): number[] {
  return samples.flatMap((s) => (s.answer === undefined ? [] : [s.answer.calls.redis]));
}

/** How many requests got each status (`status:hit`, `status:waited`, …), for the JSON. */
export function statusCounts(samples: readonly ReadSample[]): Metrics {
  const counts: Metrics = {};
  for (const s of samples) {
    const key = `status:${s.answer?.status ?? "error"}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
