/**
 * The simulated topology of issue 11: Worker → Upstash primary far (80 ms) and → read region near
 * (2 ms); Worker → Postgres primary far (80 ms) and → replica near (2 ms); real replicas behind
 * them (`lib/topology-child.ts`). Three variants on their own isolates: the naive recipe, the core
 * with `READ_CONSISTENCY=strong` (no database replica), the core with `nearest` and
 * `DATABASE_REPLICA_URL`. Each: hit and miss latency (sequential; misses twice: the first read of
 * a product, and the read after its entry expired, when Redis still holds its revision marker), a
 * cold stampede across the isolates, and the staleness of unbookmarked reads while both replicas
 * lag and a writer writes.
 *
 * Targets (in-Worker p50, so Miniflare's dispatch is not counted): core `nearest` hit ≤ read-region
 * round trip + 3 ms; miss after expiry ≤ one primary round trip + one replica query + 3 ms (a first
 * read has nothing in Redis to prove the replica recent, so it loads from the primary); unbookmarked
 * staleness p99 ≤ the injected lag + 50 ms.
 *
 * The miss's floor: the same round trips (a read-region `GET`, a primary `SET`, a replica query) with
 * plain `fetch`es and nothing else, in sequence on the `nearest` isolates (`nearest-miss` of
 * `FLOOR_ROUTES`). No cache whose miss makes those round trips can answer faster on this machine.
 */
import type { Cluster, ReadSample, WriteSample } from "../lib/cluster";
import { max, percentile } from "../lib/summary";
import type { TopologyStack } from "../lib/topology-stack";
import type { BenchPath } from "../protocol";
import type { TargetCheck } from "../report/results";
import { STAMPEDE_SIZE } from "./cold-stampede";
import {
  concurrentClients,
  errorCount,
  expireProducts,
  freshState,
  type MetricRow,
  type Metrics,
  sequentialReads,
} from "./scenario";

/** The simulated distances. */
export const TOPOLOGY_DELAYS = { primaryMs: 80, replicaMs: 2 };
/** `REDIS_TIMEOUT_MS` of the topology's isolates (the default 150 ms is too tight for 80 ms away). */
export const TOPOLOGY_REDIS_TIMEOUT_MS = 500;
/** Replica lag while staleness is measured, in ms (both replicas). */
export const TOPOLOGY_LAG_MS = 100;
const STALENESS_READERS = 8;
const WRITE_EVERY_MS = 200;

/** A column of the topology table. */
export type TopologyVariant = {
  id: string;
  label: string;
  path: BenchPath;
  cluster: "strong" | "nearest";
};

/** The variants, in column order. */
export const TOPOLOGY_VARIANTS: readonly TopologyVariant[] = [
  { id: "naive", label: "naive", path: "naive", cluster: "strong" },
  { id: "core-strong", label: "core, strong", path: "core", cluster: "strong" },
  { id: "core-nearest", label: "core, nearest + replica", path: "core", cluster: "nearest" },
];

/** What `latest.json` keeps of the topology run. */
export type TopologyResult = {
  title: string;
  description: string;
  delays: { primaryMs: number; replicaMs: number; lagMs: number };
  variants: { id: string; label: string }[];
  rows: MetricRow[];
  metrics: Record<string, Metrics>;
  targets: TargetCheck[];
  /** The `nearest` miss's floor (see the module comment), p50 in ms. */
  missFloor: { p50Ms: number | null; workerP50Ms: number | null; probes: number };
};

const ROWS: MetricRow[] = [
  { key: "hitP50", label: "hit p50 ms" },
  { key: "hitWorkerP50", label: "hit p50 ms, in-Worker" },
  { key: "hitP99", label: "hit p99 ms" },
  { key: "missP50", label: "miss p50 ms (first read)" },
  { key: "missWorkerP50", label: "miss p50 ms, in-Worker (first read)" },
  { key: "missP99", label: "miss p99 ms" },
  { key: "expiredP50", label: "miss after expiry p50 ms" },
  { key: "expiredWorkerP50", label: "miss after expiry p50 ms, in-Worker" },
  { key: "expiredP99", label: "miss after expiry p99 ms" },
  { key: "expiredCacheP50", label: "miss after expiry: cache time p50 ms (peek + lease)" },
  { key: "expiredLoadP50", label: "miss after expiry: load time p50 ms (the query)" },
  { key: "stampedeP50", label: `stampede of ${STAMPEDE_SIZE}: p50 ms` },
  { key: "stampedeP99", label: `stampede of ${STAMPEDE_SIZE}: p99 ms` },
  { key: "stampedeLoads", label: "stampede: Postgres loads (max)", digits: 0 },
  {
    key: "staleReads",
    label: `unbookmarked reads older than an acknowledged write (lag ${TOPOLOGY_LAG_MS} ms)`,
    digits: 0,
  },
  { key: "unbookmarkedReads", label: "unbookmarked reads", digits: 0 },
  { key: "stalenessP50", label: "staleness p50 ms (stale reads)" },
  { key: "stalenessP99", label: "staleness p99 ms (stale reads)" },
  { key: "stalenessMax", label: "staleness max ms" },
  { key: "errors", label: "errors", digits: 0 },
];

/** Everything the topology run needs. */
export type TopologyContext = {
  stack: TopologyStack;
  clusters: Record<TopologyVariant["cluster"], Cluster>;
  quick: boolean;
  progress(line: string): void;
};

/** Product ids the run reads (seed them first). */
export function topologySeedIds(quick: boolean): string[] {
  const ids = ["topo-hit", "topo-stale"];
  for (let i = 0; i < missCount(quick); i++) {
    ids.push(`topo-miss-${i}`);
  }
  for (let r = 0; r < stampedeReps(quick); r++) {
    ids.push(`topo-stampede-${r}`);
  }
  return ids;
}

const missCount = (quick: boolean) => (quick ? 15 : 40);
const stampedeReps = (quick: boolean) => (quick ? 1 : 2);

async function hits(cluster: Cluster, path: BenchPath, quick: boolean): Promise<Metrics> {
  for (let i = 0; i < cluster.isolates * 2; i++) {
    await cluster.read(path, "topo-hit");
  }
  await cluster.settle();
  const samples = await sequentialReads(cluster, path, () => "topo-hit", quick ? 30 : 100);
  return { ...pcts("hit", samples), hitErrors: errorCount(samples) };
}

function pcts(prefix: string, samples: readonly ReadSample[]): Metrics {
  const ok = samples.filter((s) => s.answer !== undefined);
  return {
    [`${prefix}P50`]: percentile(
      ok.map((s) => s.latencyMs),
      50,
    ),
    [`${prefix}P99`]: percentile(
      ok.map((s) => s.latencyMs),
      99,
    ),
    [`${prefix}WorkerP50`]: percentile(
      ok.flatMap((s) => (s.answer ? [s.answer.serverMs] : [])),
      50,
    ),
  };
}

/** p50 of the cache's own time and of the loader's time (core paths report them). */
function phases(prefix: string, samples: readonly ReadSample[]): Metrics {
  const outcomes = samples.flatMap((s) =>
    s.answer?.outcome === undefined ? [] : [s.answer.outcome],
  );
  if (outcomes.length === 0) {
    return {};
  }
  return {
    [`${prefix}CacheP50`]: percentile(
      outcomes.map((o) => o.cacheMs),
      50,
    ),
    [`${prefix}LoadP50`]: percentile(
      outcomes.flatMap((o) => (o.loadMs === undefined ? [] : [o.loadMs])),
      50,
    ),
  };
}

async function stampedes(cluster: Cluster, path: BenchPath, ctx: TopologyContext) {
  const all: ReadSample[] = [];
  const loads: number[] = [];
  for (let r = 0; r < stampedeReps(ctx.quick); r++) {
    await freshState(cluster, ctx.stack);
    all.push(
      ...(await Promise.all(
        Array.from({ length: STAMPEDE_SIZE }, () => cluster.read(path, `topo-stampede-${r}`)),
      )),
    );
    loads.push((await cluster.settle()).byKind.read.postgres);
  }
  return { ...pcts("stampede", all), stampedeLoads: max(loads), stampedeErrors: errorCount(all) };
}

/** Staleness of unbookmarked reads while a writer writes and both replicas lag. */
async function staleness(
  cluster: Cluster,
  path: BenchPath,
  ctx: TopologyContext,
): Promise<Metrics> {
  await freshState(cluster, ctx.stack);
  await ctx.stack.setLag(TOPOLOGY_LAG_MS);
  const id = "topo-stale";
  const writes: WriteSample[] = [];
  const reads: ReadSample[] = [];
  const duration = ctx.quick ? 2000 : 4000;
  const started = performance.now();
  let writing = true;
  const writer = (async () => {
    while (performance.now() - started < duration) {
      writes.push(await cluster.write(path, id));
      await new Promise((resolve) => setTimeout(resolve, WRITE_EVERY_MS));
    }
    writing = false;
  })();
  await concurrentClients(STALENESS_READERS, async () => {
    if (!writing) {
      return false;
    }
    reads.push(await cluster.read(path, id));
    return true;
  });
  await writer;
  await cluster.settle();
  await ctx.stack.setLag(0);
  const acked = writes
    .flatMap((w) =>
      w.answer?.version == null ? [] : [{ at: w.completedAt, version: w.answer.version }],
    )
    .sort((a, b) => a.at - b.at);
  const lags: number[] = [];
  for (const r of reads) {
    const version = r.answer?.version ?? null;
    if (version === null) {
      continue;
    }
    // The first acknowledged write newer than what the read returned, acknowledged before it.
    const newer = acked.find((w) => w.at < r.invokedAt && w.version > version);
    if (newer !== undefined) {
      lags.push(r.invokedAt - newer.at);
    }
  }
  return {
    unbookmarkedReads: reads.length,
    staleReads: lags.length,
    stalenessP50: percentile(lags, 50),
    stalenessP99: percentile(lags, 99),
    stalenessMax: max(lags),
    staleErrors: errorCount(reads) + errorCount(writes),
  };
}

async function runVariant(variant: TopologyVariant, ctx: TopologyContext): Promise<Metrics> {
  const cluster = ctx.clusters[variant.cluster];
  const { path } = variant;
  await freshState(cluster, ctx.stack);
  const hit = await hits(cluster, path, ctx.quick);
  await freshState(cluster, ctx.stack);
  const missIds = Array.from({ length: missCount(ctx.quick) }, (_, i) => `topo-miss-${i}`);
  const missSamples = await sequentialReads(cluster, path, (i) => missIds[i] ?? "", missIds.length);
  await cluster.settle();
  await expireProducts(ctx.stack, missIds);
  const expiredSamples = await sequentialReads(
    cluster,
    path,
    (i) => missIds[i] ?? "",
    missIds.length,
  );
  const stampede = await stampedes(cluster, path, ctx);
  const stale = await staleness(cluster, path, ctx);
  const metrics: Metrics = {
    ...hit,
    ...pcts("miss", missSamples),
    ...pcts("expired", expiredSamples),
    ...phases("expired", expiredSamples),
    ...stampede,
    ...stale,
  };
  metrics.errors =
    (hit.hitErrors ?? 0) +
    errorCount(missSamples) +
    errorCount(expiredSamples) +
    (stampede.stampedeErrors ?? 0) +
    (stale.staleErrors ?? 0);
  return metrics;
}

const fmt = (v: number | null | undefined) => (v == null ? "n/a" : v.toFixed(1));

/** Sequential `nearest-miss` probes on the `nearest` isolates (see the module comment). */
async function missFloor(cluster: Cluster, quick: boolean): Promise<TopologyResult["missFloor"]> {
  const probes = missCount(quick);
  const latencies: number[] = [];
  const inWorker: number[] = [];
  for (let i = 0; i < probes; i++) {
    const { latencyMs, serverMs } = await cluster.probe("nearest-miss");
    latencies.push(latencyMs);
    if (serverMs !== null) {
      inWorker.push(serverMs);
    }
  }
  return { p50Ms: percentile(latencies, 50), workerP50Ms: percentile(inWorker, 50), probes };
}

function topologyTargets(
  metrics: Record<string, Metrics>,
  floor: TopologyResult["missFloor"],
): TargetCheck[] {
  const near = metrics["core-nearest"] ?? {};
  const { primaryMs, replicaMs } = TOPOLOGY_DELAYS;
  const others = (key: string, unit = " ms") =>
    Object.fromEntries(
      TOPOLOGY_VARIANTS.filter((v) => v.id !== "core-nearest").map((v) => [
        v.id,
        `${fmt(metrics[v.id]?.[key])}${unit}`,
      ]),
    );
  const check = (v: number | null | undefined, limit: number) => (v == null ? null : v <= limit);
  return [
    {
      target: `nearest hit p50 ≤ read-region round trip + 3 ms (${replicaMs + 3} ms), in-Worker`,
      measured: `${fmt(near.hitWorkerP50)} ms (${fmt(near.hitP50)} ms end to end)`,
      met: check(near.hitWorkerP50, replicaMs + 3),
      others: others("hitWorkerP50"),
    },
    {
      target: `nearest miss after expiry p50 ≤ primary round trip + replica query + 3 ms (${primaryMs + replicaMs + 3} ms), in-Worker`,
      measured: `${fmt(near.expiredWorkerP50)} ms (${fmt(near.expiredP50)} ms end to end; a first read: ${fmt(near.missWorkerP50)} ms, from the primary); floor of its round trips ${fmt(floor.workerP50Ms)} ms`,
      met: check(near.expiredWorkerP50, primaryMs + replicaMs + 3),
      others: others("expiredWorkerP50"),
    },
    {
      target: `nearest unbookmarked staleness p99 ≤ lag + 50 ms (${TOPOLOGY_LAG_MS + 50} ms)`,
      measured: `${fmt(near.stalenessP99)} ms over ${fmt(near.staleReads)} stale of ${fmt(near.unbookmarkedReads)} reads`,
      met: near.staleReads === 0 ? true : check(near.stalenessP99, TOPOLOGY_LAG_MS + 50),
      others: others("stalenessP99"),
    },
  ];
}

/** Runs every variant and returns the table's data. */
export async function runTopology(ctx: TopologyContext): Promise<TopologyResult> {
  const metrics: Record<string, Metrics> = {};
  for (const variant of TOPOLOGY_VARIANTS) {
    ctx.progress(`topology · ${variant.label}`);
    metrics[variant.id] = await runVariant(variant, ctx);
  }
  ctx.progress("topology · the nearest miss's floor");
  const floor = await missFloor(ctx.clusters.nearest, ctx.quick);
  return {
    title: `Simulated topology (Upstash and Postgres primaries ${TOPOLOGY_DELAYS.primaryMs} ms away, read region and replica ${TOPOLOGY_DELAYS.replicaMs} ms)`,
    description:
      "Real Redis and Postgres replicas; per-backend delays on the Upstash server and in front of the Neon server; staleness while both replicas lag and a writer writes every 200 ms.",
    delays: { ...TOPOLOGY_DELAYS, lagMs: TOPOLOGY_LAG_MS },
    variants: TOPOLOGY_VARIANTS.map(({ id, label }) => ({ id, label })),
    rows: ROWS,
    metrics,
    targets: topologyTargets(metrics, floor),
    missFloor: floor,
  };
}
