/**
 * The forgetful profile over several paths (the real core, mutants): each path gets a private Redis
 * behind its own Upstash REST server (the shared Redis must never be flushed, shrunk or
 * restarted), isolates pointed at it, the forgetful nemesis, and the Cron on its period. Postgres
 * (and its knobs) are the stack's.
 */
import { startIsolates } from "../consistency/isolates";
import type { KnobProfile } from "../consistency/knobs";
import { type CheckOptions, type CheckResult, runCheck } from "../consistency/run";
import {
  bundlePath,
  ONE_CLIENT_BINDINGS,
  OVERLAP_KNOBS,
  type PathName,
  type SuiteStack,
} from "../consistency/suite";
import type { EvictionOptions } from "./eviction";
import { startPrivateCache } from "./private-cache";
import { DEFAULT_SCHEDULE, parseSchedule, type ScheduledFault } from "./schedule";

/**
 * The knobs under the forgetful faults: Postgres latency and jitter so loads overlap writes, Redis
 * jitter far below the timeout; no Postgres stalls, so every stale read is the forgetting's doing.
 */
export const FORGETFUL_KNOBS: KnobProfile = OVERLAP_KNOBS;

/**
 * Worker settings of the forgetful profile: production's entry lifetimes (300 s + 60 s stale), so
 * a snapshot still holds live entries when Redis comes back from it; a Redis timeout far above the
 * jitter on a loaded machine; no write rate limit and no absent-read budget (every request comes
 * from one address, and lost cached misses send more probes to Postgres).
 */
export const FORGETFUL_BINDINGS: Readonly<Record<string, string>> = {
  REDIS_TIMEOUT_MS: "750",
  ...ONE_CLIENT_BINDINGS,
};

/**
 * How long after a restore's return stale reads are excused, beyond the Cron period: the time
 * the replay itself takes (rule 6: an entry an acknowledged write invalidated is not served for
 * more than one Cron period after Redis comes back).
 */
export const REPLAY_GRACE_MS = 2000;

/**
 * The Cron period of forgetful runs by default: stricter than production's minute, so that rule 6's
 * bound (one Cron period after Redis comes back) is checked within a run of a minute or two, with
 * room after the restore for a longer stale window to show. `--cron-period 60` runs it as
 * production does (a run then needs a tail after the restore of well over a minute).
 */
export const FORGETFUL_CRON_PERIOD_MS = 10_000;

/** Options of {@link runForgetfulSuite}. */
export type ForgetfulSuiteOptions = {
  paths: readonly PathName[];
  seed: number;
  durationMs: number;
  /** @default 2 */
  isolates?: number;
  /** @default DEFAULT_SCHEDULE */
  schedule?: readonly ScheduledFault[];
  /** @default FORGETFUL_CRON_PERIOD_MS */
  cronPeriodMs?: number;
  /** Stale reads excused after a restore, ms. @default cronPeriodMs + REPLAY_GRACE_MS */
  allowanceMs?: number;
  /** @default FORGETFUL_KNOBS */
  profile?: KnobProfile;
  eviction?: EvictionOptions;
  deleteEveryMs?: [number, number];
  /**
   * What clients see of a restore: `held` (the Upstash server holds requests while Redis restarts,
   * as a failover behind the endpoint looks) or `outage` (errors until Redis answers; the Worker's
   * circuit breaker may open and bypass Redis for a while). @default "held"
   */
  restoreMode?: "held" | "outage";
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
>;

/** Runs every path in order under the forgetful profile. */
export async function runForgetfulSuite(
  stack: SuiteStack,
  opts: ForgetfulSuiteOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const schedule = opts.schedule ?? parseSchedule(DEFAULT_SCHEDULE);
  const cronPeriodMs = opts.cronPeriodMs ?? FORGETFUL_CRON_PERIOD_MS;
  const isolateCount = opts.isolates ?? 2;
  const prefix = stack.bindings.CACHE_KEY_PREFIX ?? "";
  for (const path of opts.paths) {
    const script = await bundlePath(path);
    const cache = await startPrivateCache();
    try {
      const isolates = await startIsolates(stack, script, isolateCount, {
        ...FORGETFUL_BINDINGS,
        ...cache.bindings,
      });
      try {
        const {
          paths,
          schedule: _,
          profile,
          eviction,
          deleteEveryMs,
          onResult,
          restoreMode,
          ...shared
        } = opts;
        const restoreAt = schedule.find((e) => e.kind === "restore")?.from;
        const result = await runCheck({
          ...shared,
          label: path,
          // Half the cold keys are left alone from a second before the restore (see quietFromMs).
          ...(restoreAt === undefined
            ? {}
            : { quietFromMs: Math.max(0, restoreAt * opts.durationMs - 1000) }),
          targets: isolates.targets,
          apiToken: stack.apiToken,
          databaseUrl: stack.databaseUrl,
          knobs: {
            urls: { redisFaultsUrl: cache.redisFaultsUrl, dbFaultsUrl: stack.dbFaultsUrl },
            profile: profile ?? FORGETFUL_KNOBS,
          },
          cron: { scheduled: isolates.scheduled, isolates: isolateCount, periodMs: cronPeriodMs },
          forgetful: {
            redis: cache.redis,
            prefix,
            schedule,
            allowanceMs: opts.allowanceMs ?? cronPeriodMs + REPLAY_GRACE_MS,
            ...(eviction === undefined ? {} : { eviction }),
            ...(deleteEveryMs === undefined ? {} : { deleteEveryMs }),
            ...(restoreMode === "outage" ? {} : { holdUrl: cache.redisFaultsUrl }),
            hushWhileDeleting: true,
          },
        });
        results.push(result);
        onResult?.(result);
      } finally {
        await isolates.dispose();
      }
    } finally {
      await cache.close();
    }
  }
  return results;
}
