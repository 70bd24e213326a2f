/** The shape of `bench/results/*.json` and the target checks derived from it. */
import type { BenchOptions } from "../lib/args";
import type { BenchPath } from "../protocol";
import type { MetricRow, Metrics } from "../scenarios/scenario";

/** One scenario's outcome for every path. */
export type ScenarioResult = {
  id: string;
  title: string;
  description: string;
  rows: MetricRow[];
  metrics: Record<BenchPath, Metrics>;
  /** Per path: the core's breaker per isolate after the run, and failed requests by error text. */
  diagnostics: Record<BenchPath, { breakers: string[]; errors: Record<string, number> }>;
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

/** A target from the issue, as measured. */
export type TargetCheck = { target: string; measured: string; met: boolean | null };

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
    /** p50 of a request with no outbound I/O through the Miniflare dispatch (harness overhead). */
    dispatchOverheadP50Ms: number | null;
  };
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
  throughput?: ThroughputResult;
  durationSeconds: number;
};

const fmt = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined ? "n/a" : v.toFixed(digits);

/** `null` (not measured) when any of `values` is missing, else `check()`. */
const measuredThen = (values: readonly (number | null | undefined)[], check: () => boolean) =>
  values.some((v) => v === null || v === undefined) ? null : check();

/** Checks the issue's targets against the core's measurements (throughput if present). */
export function checkTargets(
  scenarios: readonly ScenarioResult[],
  throughput?: ThroughputResult,
): TargetCheck[] {
  const core = (id: string) => scenarios.find((s) => s.id === id)?.metrics.core ?? {};
  const hit = core("hit");
  const miss = core("miss");
  const stampede = core("stampede");
  const checks: TargetCheck[] = [
    {
      target: "hit: 1 Redis round trip, no query",
      measured: `${fmt(hit.redisPerRequest, 2)} Redis, ${fmt(hit.pgPerRequest, 2)} Postgres per request`,
      met: measuredThen(
        [hit.redisPerRequest, hit.pgPerRequest],
        () => hit.redisPerRequest === 1 && hit.pgPerRequest === 0,
      ),
    },
    {
      target: "miss: 1 Redis round trip + 1 Postgres query on the critical path",
      measured: `${fmt(miss.redisCriticalPerRequest, 2)} Redis, ${fmt(miss.pgCriticalPerRequest, 2)} Postgres on the critical path (fill: ${fmt(miss.redisPerRequest, 2)} Redis in total)`,
      met: measuredThen(
        [miss.redisCriticalPerRequest, miss.pgCriticalPerRequest],
        () => miss.redisCriticalPerRequest === 1 && miss.pgCriticalPerRequest === 1,
      ),
    },
    {
      target: "cold stampede of 500: 1 Postgres load",
      measured: `${fmt(stampede.pgPerStampede, 1)} per stampede on average, at most ${fmt(stampede.pgMaxPerStampede, 0)} (${fmt(stampede.repetitions, 0)} stampedes)`,
      met: measuredThen([stampede.pgMaxPerStampede], () => stampede.pgMaxPerStampede === 1),
    },
    {
      target: "cold stampede: waiter p99 ≤ 30 ms over the fill time",
      measured: `${fmt(stampede.waiterExcessP99)} ms end-to-end, ${fmt(stampede.workerWaiterExcessP99)} ms in-Worker`,
      met: measuredThen([stampede.waiterExcessP99], () => (stampede.waiterExcessP99 ?? 0) <= 30),
    },
    {
      target: "cold stampede: ≤ 10 Redis round trips per request",
      measured: `max ${fmt(stampede.redisMaxPerRequest, 0)}, mean ${fmt(stampede.redisPerRequest, 2)}`,
      met: measuredThen(
        [stampede.redisMaxPerRequest],
        () => (stampede.redisMaxPerRequest ?? 0) <= 10,
      ),
    },
  ];
  checks.push({
    target: "hit throughput ≥ 0.8 of the bare-GET ceiling",
    measured:
      throughput === undefined
        ? "not measured (run npm run bench:throughput)"
        : `${throughput.ratio.toFixed(2)} (${throughput.subjectRequestsPerSecond.toFixed(0)} vs ${throughput.ceilingRequestsPerSecond.toFixed(0)} req/s, ${throughput.date.slice(0, 10)})`,
    met: throughput === undefined ? null : throughput.ratio >= 0.8,
  });
  return checks;
}
