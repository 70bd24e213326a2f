/**
 * The checker over several builds of the Worker: the real core and each mutant, one after the
 * other against the same stack, each with fresh keys, under the same knob profile.
 */

import { bundleWorkerSource } from "../mutants/bundle";
import { MUTANTS, type MutantName } from "../mutants/catalog";
import { type IsolateStack, startIsolates } from "./isolates";
import type { KnobProfile, KnobUrls } from "./knobs";
import { type CheckOptions, type CheckResult, runCheck } from "./run";

/** A path: the real core or a mutant. */
export type PathName = "real" | MutantName;

/** What the suite needs from the local stack (the test harness' `ProvidedStack` fits). */
export type SuiteStack = IsolateStack & KnobUrls & { apiToken: string; databaseUrl: string };

/**
 * The knobs every path runs under (by default), chosen to widen the race windows the mutants need,
 * while the real core must stay clean under exactly the same conditions:
 * - Postgres stalls: every 2 s, the Neon server holds every query for 1 s and then releases them
 *   all at once. Writes then finish long after their request began, past the Redis timeout (M4's
 *   static signal has fired by then, the real client's per-call signal has not); loads and commits
 *   held together also resume side by side;
 * - Redis jitter (0–50 ms per call) shuffles a fill against a concurrent invalidation — the race of
 *   a churn probe's load against the key's re-creation, and of hot-key loads against writes
 *   (M1, M3);
 * - Postgres latency and jitter make loads overlap writes between stalls.
 */
export const RACE_PROFILE: KnobProfile = {
  redis: { jitterMs: 50 },
  db: { latencyMs: 5, jitterMs: 15 },
  dbStalls: { holdMs: 1000, freeMs: 1000 },
};

/**
 * Writes whose invalidations reach Redis out of commit order: a wide Redis jitter (0–80 ms per
 * call), Postgres latency so writes of one product overlap, no stalls (volume, not holds). The
 * race M7 (a writer's write-back without the revision check) loses: an older write's late call
 * puts its state over a newer one.
 */
export const REORDER_PROFILE: KnobProfile = {
  redis: { jitterMs: 80 },
  db: { latencyMs: 5, jitterMs: 15 },
};

/**
 * Answers that come back late: Redis replies wait 0–80 ms after the command ran, so a request's
 * read can reach Redis before a write's invalidation and be answered after the write was
 * acknowledged. The race M10 (coalescing that joins the running batch) loses: a request that
 * arrived after the acknowledgement shares that older answer.
 */
export const LATE_REPLY_PROFILE: KnobProfile = {
  redis: { replyJitterMs: 80 },
  db: { latencyMs: 5, jitterMs: 15 },
};

/**
 * Worker settings every profile needs because every request of a run comes from one address: no
 * write rate limit, and no absent-read budget (churn probes and lost cached misses read absent ids
 * by design).
 */
export const ONE_CLIENT_BINDINGS: Readonly<Record<string, string>> = {
  RATE_LIMIT_WRITES: "1000000",
  ABSENT_READS_PER_MINUTE: "1000000",
};

/**
 * Knobs that make loads overlap writes without stalling anything (Postgres latency and jitter,
 * Redis jitter far below the timeout): the ground under the forgetful and replica faults, so every
 * stale read is the fault's doing.
 */
export const OVERLAP_KNOBS: KnobProfile = {
  redis: { jitterMs: 10 },
  db: { latencyMs: 5, jitterMs: 15 },
};

/**
 * Worker settings of every path: a Redis timeout far above the injected jitter (so the real core
 * does not time out on a loaded machine) but below the stall; no write rate limit (every request
 * comes from one address); entries that live 2 s (plus 1 s stale), because writers store their
 * own state in the cache: without expiry the hot key would hardly ever miss, and a fill racing a
 * write (what M1 and M3 break) needs a miss.
 */
export const RACE_BINDINGS: Readonly<Record<string, string>> = {
  REDIS_TIMEOUT_MS: "750",
  ...ONE_CLIENT_BINDINGS,
  CACHE_TTL_SECONDS: "2",
  STALE_TTL_SECONDS: "1",
  NEGATIVE_TTL_SECONDS: "2",
};

/** Options of {@link runSuite}. */
export type SuiteOptions = {
  paths: readonly PathName[];
  seed: number;
  durationMs: number;
  /** Isolates per path. @default 2 */
  isolates?: number;
  /** @default RACE_PROFILE */
  profile?: KnobProfile;
  /** Per-path replacements of `profile` (a subset of the real core's conditions). @default {} */
  profiles?: Partial<Record<PathName, KnobProfile>>;
  /** Extra Worker bindings. @default RACE_BINDINGS */
  bindings?: Record<string, string>;
  /** Per-path minimum of acknowledged writes (M2 needs 100 per isolate to skip once). @default {} */
  minWrites?: Partial<Record<PathName, number>>;
  /** Per-path minimum of churn re-creations (each is one race chance for M1 and M3). @default {} */
  minCreates?: Partial<Record<PathName, number>>;
  /** Period of the Worker's Cron (`scheduled()`) during a run, ms. @default CRON_PERIOD_MS */
  cronPeriodMs?: number;
  /** Called after each path. */
  onResult?: (result: CheckResult) => void;
} & Pick<
  CheckOptions,
  | "readers"
  | "writers"
  | "coldKeys"
  | "churnKeys"
  | "convergeDeadlineMs"
  | "maxDurationMs"
  | "collections"
  | "churnRestMs"
>;

/** The Worker bundle of `path`; throws when a mutant's bundle lacks its change. */
export async function bundlePath(path: PathName): Promise<string> {
  const script = await bundleWorkerSource(path === "real" ? [] : MUTANTS[path].patches);
  if (path !== "real" && !script.includes(MUTANTS[path].marker)) {
    throw new Error(`the ${path} bundle does not carry its change; refusing to run it`);
  }
  return script;
}

/** Runs every path in `opts.paths` in order. */
export async function runSuite(stack: SuiteStack, opts: SuiteOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const path of opts.paths) {
    const script = await bundlePath(path);
    const isolates = await startIsolates(stack, script, opts.isolates ?? 2, {
      ...(opts.bindings ?? RACE_BINDINGS),
    });
    try {
      const { minWrites: perPath, minCreates: createsPerPath, profiles, ...shared } = opts;
      const minWrites = perPath?.[path];
      const minCreates = createsPerPath?.[path];
      const profile = profiles?.[path] ?? opts.profile ?? RACE_PROFILE;
      const result = await runCheck({
        ...shared,
        label: path,
        targets: isolates.targets,
        cron: {
          scheduled: isolates.scheduled,
          isolates: opts.isolates ?? 2,
          periodMs: opts.cronPeriodMs,
        },
        apiToken: stack.apiToken,
        databaseUrl: stack.databaseUrl,
        knobs: { urls: stack, profile },
        ...(minWrites === undefined ? {} : { minWrites }),
        ...(minCreates === undefined ? {} : { minCreates }),
      });
      results.push(result);
      opts.onResult?.(result);
    } finally {
      await isolates.dispose();
    }
  }
  return results;
}
