/**
 * One checker run against one build of the Worker: seed the keys, apply the knobs (and the
 * forgetful nemesis, and the Cron), run the workload, stop them, read Postgres' final state,
 * measure convergence, analyze.
 */
import { randomBytes } from "node:crypto";
import type { ForgetfulReport } from "../forgetful/nemesis";
import {
  type ForgetfulOptions,
  type ForgetfulOutcome,
  outcomeOf,
  startForgetful,
} from "../forgetful/profile";
import type { LagReport } from "../replicas/lag-nemesis";
import {
  type ReplicaOutcome,
  type ReplicaRunOptions,
  replicaOutcomeOf,
  startReplicaLag,
} from "../replicas/profile";
import { type Analysis, analyze } from "./analyzer";
import { type Convergence, measureConvergence } from "./converge";
import { type CronReport, startCron } from "./cron";
import { HistoryRecorder, type Op, READ_KINDS } from "./history";
import { applyKnobs, type KnobProfile, type KnobUrls } from "./knobs";
import { readFinalStates } from "./postgres";
import type { Target } from "./target";
import { type KeyPlan, runWorkload, seedKeys, type WorkloadOptions } from "./workload";

/** Options of {@link runCheck}. */
export type CheckOptions = {
  /** Names the path in reports (`real`, `M1`…). */
  label: string;
  targets: readonly Target[];
  apiToken: string;
  /** Postgres behind the Worker, read directly for the final state. */
  databaseUrl: string;
  seed: number;
  durationMs: number;
  /** Knob endpoints and what to set; without them the run is fault-free. @default none */
  knobs?: { urls: KnobUrls; profile: KnobProfile };
  /** Cold keys besides the hot one. @default 15 */
  coldKeys?: number;
  /** Keys cycled absent → create → delete. @default 4 */
  churnKeys?: number;
  /** Give up convergence after this many ms. @default 10000 */
  convergeDeadlineMs?: number;
  /** The Worker's `scheduled` handler, called on the Cron's period during the load. @default none */
  cron?: { scheduled(index: number): Promise<void>; isolates: number; periodMs?: number };
  /** The forgetful profile's nemesis over a private Redis. @default none */
  forgetful?: ForgetfulOptions;
  /** The replica profile's lag nemesis over private replicas, and its analysis. @default none */
  replicas?: ReplicaRunOptions;
} & Pick<
  WorkloadOptions,
  | "collections"
  | "quietFromMs"
  | "hushed"
  | "minWrites"
  | "minCreates"
  | "maxDurationMs"
  | "readers"
  | "writers"
  | "hotShare"
  | "churnReadShare"
  | "churnRestMs"
  | "bookmarks"
>;

/** The outcome of one run. */
export type CheckResult = {
  label: string;
  seed: number;
  keys: KeyPlan;
  /** Workload length, ms. */
  loadMs: number;
  /** Nemesis hold windows opened. */
  holds: number;
  analysis: Analysis;
  convergence: Convergence;
  /** `X-Cache` values of acknowledged reads. */
  xCache: Record<string, number>;
  /** Writes by outcome and HTTP status (`ok:200`, `info:0`…), to spot a broken run. */
  statuses: Record<string, number>;
  /** Client-observed latency percentiles, ms. */
  latencyMs: { read: Percentiles; write: Percentiles };
  /**
   * Inline invalidation time of acknowledged writes (their `Server-Timing` cache duration), ms. A
   * write near REDIS_TIMEOUT_MS had its invalidation time out: a stale read after it would be
   * outside the contract's "Redis reachable" envelope.
   */
  invalidationMs: Percentiles;
  /** Every operation of the run (for a closer look at a violation). */
  history: readonly Op[];
  /** What the Cron runs did (when the run had a Cron). */
  cron?: CronReport;
  /** The forgetful profile's faults and their attribution (when it ran). */
  forgetful?: ForgetfulOutcome;
  /** The replica profile's lags and classes of reads (when it ran). */
  replicas?: ReplicaOutcome;
};

/** p50 / p99 / max of a set of durations, ms. */
export type Percentiles = { p50: number; p99: number; max: number };

/** Runs the checker once; see the module comment. */
export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const keys = keyPlan(opts.label, opts.coldKeys ?? 15, opts.churnKeys ?? 4);
  const recorder = new HistoryRecorder();
  const base = { targets: opts.targets, recorder, keys, apiToken: opts.apiToken, seed: opts.seed };
  // Seeded before the knobs: the run starts from known, acknowledged states.
  await seedKeys(base);
  const knobs =
    opts.knobs === undefined ? undefined : await applyKnobs(opts.knobs.urls, opts.knobs.profile);
  const nemesis =
    opts.forgetful === undefined
      ? undefined
      : startForgetful(opts.forgetful, recorder, opts.durationMs, opts.seed);
  const lag =
    opts.replicas === undefined ? undefined : startReplicaLag(opts.replicas, recorder, opts.seed);
  const cron = opts.cron === undefined ? undefined : startCron({ ...opts.cron, recorder });
  let loadMs: number;
  let faults: ForgetfulReport | undefined;
  let lagReport: LagReport | undefined;
  let cronReport: CronReport | undefined;
  try {
    const hushed =
      nemesis !== undefined && opts.forgetful?.hushWhileDeleting === true
        ? { hushed: () => nemesis.deleting() }
        : {};
    loadMs = await runWorkload({ ...opts, ...base, ...hushed });
  } finally {
    faults = await nemesis?.stop();
    // Lags back to 0 and both replicas caught up before convergence is measured.
    lagReport = await lag?.stop();
    cronReport = await cron?.stop();
    await knobs?.stop();
  }
  const ids = [keys.hot, ...keys.cold, ...keys.churn];
  const finals = await readFinalStates(opts.databaseUrl, ids);
  const convergence = await measureConvergence({
    targets: opts.targets,
    finals,
    deadlineMs: opts.convergeDeadlineMs,
  });
  const ops = recorder.ops;
  const analysis = analyze(ops, finals);
  return {
    label: opts.label,
    seed: opts.seed,
    keys,
    loadMs,
    holds: knobs?.holds ?? 0,
    analysis,
    convergence,
    xCache: tally(
      ops.filter((op) => !isWrite(op) && op.status === "ok"),
      (op) => op.xCache ?? "none",
    ),
    statuses: tally(ops.filter(isWrite), (op) => `${op.status}:${op.httpStatus}`),
    latencyMs: {
      read: percentiles(durations(ops.filter((op) => !isWrite(op)))),
      write: percentiles(durations(ops.filter(isWrite))),
    },
    invalidationMs: percentiles(
      ops.flatMap((op) =>
        isWrite(op) && op.status === "ok" && op.cacheMs !== undefined ? [op.cacheMs] : [],
      ),
    ),
    history: ops,
    ...(cronReport === undefined ? {} : { cron: cronReport }),
    ...(faults === undefined || opts.forgetful === undefined
      ? {}
      : { forgetful: outcomeOf(faults, analysis, ops, opts.forgetful.allowanceMs) }),
    ...(lagReport === undefined || opts.replicas === undefined
      ? {}
      : { replicas: replicaOutcomeOf(opts.replicas, ops, lagReport, convergence) }),
  };
}

/** Fresh ids for one run (so paths never see each other's cache entries). */
export function keyPlan(label: string, cold: number, churn: number): KeyPlan {
  // Labels may name a mode too (`real/nearest`); ids keep to letters, digits and dashes.
  const name = label.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  const run = `ck-${name}-${randomBytes(4).toString("hex")}`;
  return {
    prefix: run,
    hot: `${run}-hot`,
    cold: Array.from({ length: cold }, (_, i) => `${run}-cold${i}`),
    churn: Array.from({ length: churn }, (_, i) => `${run}-churn${i}`),
  };
}

function isWrite(op: Op): boolean {
  return !READ_KINDS.has(op.op);
}

function durations(ops: readonly Op[]): number[] {
  return ops
    .filter((op) => Number.isFinite(op.tComplete))
    .map((op) => (op.tComplete - op.tInvoke) / 1e6);
}

function percentiles(values: readonly number[]): Percentiles {
  const ms = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

function tally(ops: readonly Op[], label: (op: Op) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const op of ops) {
    const k = label(op);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
