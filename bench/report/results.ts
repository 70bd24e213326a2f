/** The shape of `bench/results/*.json` and the target checks derived from it. */
import type { BenchOptions } from "../lib/args";
import { type DispatchFloor, FLOOR_LABELS } from "../lib/dispatch-floor";
import { ratio } from "../lib/summary";
import type { BenchPath } from "../protocol";
import { FLASH_READERS } from "../scenarios/flash-sale";
import { MIX_CLIENTS } from "../scenarios/read-write-mix";
import type { MetricRow, Metrics } from "../scenarios/scenario";
import type { TopologyResult } from "../scenarios/topology";
import type { PathInfo } from "./paths";

/** One scenario's outcome for every path. */
export type ScenarioResult = {
  id: string;
  title: string;
  description: string;
  rows: MetricRow[];
  /** The paths the scenario ran (all of the run's unless it says otherwise). */
  metrics: Partial<Record<BenchPath, Metrics>>;
  /** Per path: the core's breaker per isolate after the run, and failed requests by error text. */
  diagnostics: Partial<
    Record<
      BenchPath,
      {
        breakers: string[];
        errors: Record<string, number>;
        /** Outbound requests of the isolates that never settled, so far in the run. */
        stuckInflight?: number;
      }
    >
  >;
};

/** `npm run bench:throughput`'s outcome (also merged into `latest.json`). */
export type ThroughputResult = {
  date: string;
  /** What was measured: the real API route, or the bench Worker's core path as a stand-in. */
  subject: string;
  subjectUrl: string;
  ceilingUrl: string;
  durationSeconds: number;
  connections: number;
  subjectRequestsPerSecond: number;
  ceilingRequestsPerSecond: number;
  ratio: number;
  subjectLatencyP50Ms: number;
  subjectLatencyP99Ms: number;
  ceilingLatencyP50Ms: number;
  ceilingLatencyP99Ms: number;
  non2xx: { subject: number; ceiling: number };
  injected: { redisMs: number; dbMs: number };
  loadAverage: { before: number[]; after: number[] };
};

/**
 * A target from the issues, as measured: core's value and whether it meets the target, and the same
 * measure for the other paths where it means something (`others`, by path).
 */
export type TargetCheck = {
  target: string;
  measured: string;
  met: boolean | null;
  others?: Record<string, string>;
};

/** Everything one `npm run bench` writes. */
export type BenchResults = {
  date: string;
  machine: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    loadAverage: { before: number[]; after: number[] };
  };
  settings: BenchOptions & {
    compatibilityDate: string;
    compatibilityFlags: string[];
    naiveMaxTries: number;
    /** p50 of a request with no outbound I/O to a workerd isolate's socket (harness overhead). */
    dispatchOverheadP50Ms: number | null;
  };
  /** The paths, in column order, and where each ran. */
  paths: PathInfo[];
  /** How the paths that ran in Node were run (shown in the facts line). */
  nodeNote?: string;
  scenarios: ScenarioResult[];
  /** The simulated topology (issue 11), when it ran. */
  topology?: TopologyResult;
  /** No-I/O closed loops at the mix's and the flash sale's concurrency (`lib/dispatch-floor.ts`). */
  floors?: DispatchFloor[];
  targets: TargetCheck[];
  throughput?: ThroughputResult;
  durationSeconds: number;
};

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
const times = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(2)}×`);

/** `null` (not measured) when any of `values` is missing, else `check()`. */
const measuredThen = (values: readonly (number | null | undefined)[], check: () => boolean) =>
  values.some((v) => v === null || v === undefined || !Number.isFinite(v)) ? null : check();

type Lookup = (id: string, path: BenchPath) => Metrics;

/** One target: core's measure and verdict, the same measure for every other path. */
function target(
  paths: readonly BenchPath[],
  text: string,
  measure: (path: BenchPath) => string,
  met: boolean | null,
): TargetCheck {
  const others: Partial<Record<BenchPath, string>> = {};
  for (const path of paths.filter((p) => p !== "core")) {
    others[path] = measure(path);
  }
  return { target: text, measured: measure("core"), met, others };
}

/**
 * Statuses a warm key's reads are meant to have: a hit (core and naive `hit`, the peers `cached`),
 * or no cache's query (`db`), which is what that path does by design.
 */
const EXPECTED_HIT_STATUSES: ReadonlySet<string> = new Set([
  "status:hit",
  "status:cached",
  "status:db",
]);

/**
 * The warm-key reads that were not hits, e.g. `; of 3000 reads, 1 bypass`, else `""`: one read that
 * bypassed moves the counts by a few ten-thousandths, which two decimals would not show.
 */
function notHits(metrics: Metrics): string {
  const others = Object.entries(metrics).filter(
    ([key, count]) =>
      key.startsWith("status:") && !EXPECTED_HIT_STATUSES.has(key) && (count ?? 0) > 0,
  );
  if (others.length === 0) {
    return "";
  }
  const listed = others.map(([key, count]) => `${count} ${key.slice("status:".length)}`);
  return `; of ${fmt(metrics.requests, 0)} reads, ${listed.join(", ")}`;
}

function hitTargets(paths: readonly BenchPath[], m: Lookup): TargetCheck[] {
  const naive = m("hit", "naive");
  const hitVsNaive = (key: "p50" | "p99") => (path: BenchPath) => {
    const v = m("hit", path)[key];
    return `${fmt(v)} ms (${times(ratio(v ?? null, naive[key] ?? null))} naive)`;
  };
  const core = m("hit", "core");
  const within = (key: "p50" | "p99") =>
    measuredThen([core[key], naive[key]], () => (core[key] ?? 0) <= 1.05 * (naive[key] ?? 0));
  return [
    target(paths, "hits: p50 ≤ 1.05× naive p50", hitVsNaive("p50"), within("p50")),
    target(paths, "hits: p99 ≤ 1.05× naive p99", hitVsNaive("p99"), within("p99")),
    target(
      paths,
      "hit: 1 Redis round trip, no query",
      (p) =>
        `${fmt(m("hit", p).redisPerRequest, 2)} Redis, ${fmt(m("hit", p).pgPerRequest, 2)} Postgres / request${notHits(m("hit", p))}`,
      measuredThen(
        [core.redisPerRequest, core.pgPerRequest],
        () => core.redisPerRequest === 1 && core.pgPerRequest === 0,
      ),
    ),
  ];
}

function missTargets(paths: readonly BenchPath[], m: Lookup): TargetCheck[] {
  const core = m("miss", "core");
  return [
    target(
      paths,
      "miss: 1 Redis round trip + 1 Postgres query on the critical path",
      (p) => {
        const own = m("miss", p).redisAwaitedPerRequest;
        const awaited = own == null ? "" : `, ${fmt(own, 2)} awaited by the cache`;
        return `${fmt(m("miss", p).redisCriticalPerRequest, 2)} Redis finished during the request${awaited}, ${fmt(m("miss", p).pgCriticalPerRequest, 2)} Postgres (${fmt(m("miss", p).redisPerRequest, 2)} Redis with the fill)`;
      },
      // The fetch-level count: it also sees Redis calls made inside the loader (the absent-id
      // budget's check), which the cache's own count does not.
      measuredThen(
        [core.redisCriticalPerRequest, core.pgCriticalPerRequest],
        () => core.redisCriticalPerRequest === 1 && core.pgCriticalPerRequest === 1,
      ),
    ),
  ];
}

function stampedeTargets(paths: readonly BenchPath[], m: Lookup): TargetCheck[] {
  const core = m("stampede", "core");
  const s = (p: BenchPath) => m("stampede", p);
  return [
    target(
      paths,
      "cold stampede of 500 across the isolates: 1 Postgres load",
      (p) => `max ${fmt(s(p).pgMaxPerStampede, 0)}, mean ${fmt(s(p).pgPerStampede, 1)}`,
      measuredThen([core.pgMaxPerStampede], () => core.pgMaxPerStampede === 1),
    ),
    target(
      paths,
      "cold stampede: waiter p99 ≤ 30 ms over the fill time, in-Worker",
      (p) =>
        `${fmt(s(p).workerWaiterExcessP99)} ms in-Worker (${fmt(s(p).waiterExcessP99)} ms end to end); intake of the slower isolate ${fmt(s(p).intakeMsP50, 0)} ms median, ${fmt(s(p).intakeMsMax, 0)} ms max`,
      measuredThen([core.workerWaiterExcessP99], () => (core.workerWaiterExcessP99 ?? 0) <= 30),
    ),
    target(
      paths,
      "cold stampede: ≤ 10 Redis round trips per request",
      (p) => `max ${fmt(s(p).redisMaxPerRequest, 0)}, mean ${fmt(s(p).redisPerRequest, 2)}`,
      measuredThen([core.redisMaxPerRequest], () => (core.redisMaxPerRequest ?? 0) <= 10),
    ),
  ];
}

/** Read p50 of scenario `id` against the same path's hit p50. */
function vsHit(m: Lookup, id: string) {
  return (p: BenchPath) => {
    const v = m(id, p).p50;
    const hit = m("hit", p).p50;
    return `${fmt(v)} ms (${times(ratio(v ?? null, hit ?? null))} its hit p50)`;
  };
}

/** `check` with the floors at `clients` added to core's measure, when they were measured. */
function withFloors(
  check: TargetCheck,
  floors: readonly DispatchFloor[],
  clients: number,
  describe: (floor: DispatchFloor) => string,
): TargetCheck {
  const at = floors.filter((f) => f.clients === clients);
  if (at.length === 0) {
    return check;
  }
  const each = at.map((f) => `${FLOOR_LABELS[f.kind]} ${describe(f)}`).join(", ");
  return { ...check, measured: `${check.measured}; floors at ${clients} clients: ${each}` };
}

function hotKeyTargets(
  paths: readonly BenchPath[],
  m: Lookup,
  floors: readonly DispatchFloor[],
): TargetCheck[] {
  const hitP50 = m("hit", "core").p50;
  const mix = m("mix", "core");
  const flash = m("flash", "core");
  const noCacheOps = m("mix", "nocache").opsPerSecond;
  const p50Within = (v: number | null | undefined) =>
    measuredThen([v, hitP50], () => (v ?? 0) <= 1.5 * (hitP50 ?? 0));
  const stale = (id: string) => (p: BenchPath) => fmt(m(id, p).staleReads, 0);
  const floorVsHit = (f: DispatchFloor) =>
    `${fmt(f.p50Ms)} ms (${times(ratio(f.p50Ms, hitP50 ?? null))})`;
  const floorVsNoCache = (f: DispatchFloor) =>
    `${fmt(f.requestsPerSecond, 0)} ${f.kind === "mix" ? "ops/s" : "req/s"} (${times(ratio(f.requestsPerSecond, noCacheOps ?? null))})`;
  return [
    withFloors(
      target(paths, "mix: read p50 ≤ 1.5× hit p50", vsHit(m, "mix"), p50Within(mix.p50)),
      floors,
      MIX_CLIENTS,
      floorVsHit,
    ),
    withFloors(
      target(
        paths,
        "mix: throughput ≥ 2× no cache",
        (p) => {
          const ops = m("mix", p).opsPerSecond;
          return `${fmt(ops, 0)} ops/s (${times(ratio(ops ?? null, noCacheOps ?? null))} no cache)`;
        },
        measuredThen(
          [mix.opsPerSecond, noCacheOps],
          () => (mix.opsPerSecond ?? 0) >= 2 * (noCacheOps ?? 0),
        ),
      ),
      floors,
      MIX_CLIENTS,
      floorVsNoCache,
    ),
    target(
      paths,
      "mix: 0 stale reads",
      stale("mix"),
      measuredThen([mix.staleReads], () => mix.staleReads === 0),
    ),
    withFloors(
      target(paths, "flash sale: read p50 ≤ 1.5× hit p50", vsHit(m, "flash"), p50Within(flash.p50)),
      floors,
      FLASH_READERS,
      floorVsHit,
    ),
    target(
      paths,
      "flash sale: ≤ 1 Postgres read per write",
      (p) =>
        `${fmt(m("flash", p).pgReadsPerWrite, 2)} (${fmt(m("flash", p).writesPerSecond, 1)} writes/s)`,
      measuredThen([flash.pgReadsPerWrite], () => (flash.pgReadsPerWrite ?? 0) <= 1),
    ),
    target(
      paths,
      "flash sale: 0 stale reads",
      stale("flash"),
      measuredThen([flash.staleReads], () => flash.staleReads === 0),
    ),
  ];
}

function raceTargets(paths: readonly BenchPath[], m: Lookup): TargetCheck[] {
  const core = m("race", "core");
  return [
    target(
      paths,
      "forced stale-fill race: the old version is never put back",
      (p) => `${fmt(m("race", p).staleFills, 0)} of ${fmt(m("race", p).races, 0)} races`,
      measuredThen([core.staleFills], () => core.staleFills === 0),
    ),
  ];
}

/** Checks the issues' targets against the core's measurements (throughput if present). */
export function checkTargets(
  scenarios: readonly ScenarioResult[],
  paths: readonly BenchPath[],
  throughput?: ThroughputResult,
  floors: readonly DispatchFloor[] = [],
): TargetCheck[] {
  const m: Lookup = (id, path) => scenarios.find((s) => s.id === id)?.metrics[path] ?? {};
  return [
    ...hitTargets(paths, m),
    ...missTargets(paths, m),
    ...stampedeTargets(paths, m),
    ...hotKeyTargets(paths, m, floors),
    ...raceTargets(paths, m),
    {
      target: "hit throughput ≥ 0.8 of the bare-GET ceiling",
      measured:
        throughput === undefined
          ? "not measured (run npm run bench:throughput)"
          : `${throughput.ratio.toFixed(2)} (${throughput.subjectRequestsPerSecond.toFixed(0)} vs ${throughput.ceilingRequestsPerSecond.toFixed(0)} req/s, ${throughput.date.slice(0, 10)})`,
      met: throughput === undefined ? null : throughput.ratio >= 0.8,
    },
  ];
}
