/**
 * The replica profile over paths × read modes (`real/strong`, `real/nearest`, `M8/strong`,
 * `M8/nearest`…): each run gets its own private replicas (`private-replicas.ts`: a Redis pair
 * behind its own Upstash server with the replica as its read region, a Postgres pair behind a Neon
 * server, the Worker's `DATABASE_REPLICA_URL` the standby), isolates bound to them with
 * `READ_CONSISTENCY` set to the mode, the lag nemesis, and a workload whose writing processes carry
 * bookmarks. Final states are read from the Postgres primary.
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
import { type ReadMode, startPrivateReplicas } from "./private-replicas";

/** Both read modes, in run order. */
export const READ_MODES: readonly ReadMode[] = ["strong", "nearest"];

/**
 * Knobs under the lag: Postgres latency and jitter so loads overlap writes, Redis jitter far below
 * the timeout and the staleness bound's slack; no Postgres stalls (every stale read is then the
 * replicas' doing).
 */
export const REPLICA_KNOBS: KnobProfile = OVERLAP_KNOBS;

/**
 * Worker settings of the replica profile: entries that live 1 s with no stale window, so that an
 * entry is often absent when a write comes (the invalidation then stores nothing, and the next
 * read loads: the load a lagging standby must not answer unless a revision proves it recent,
 * which is what M8 breaks); a Redis timeout above the read region's longest wait for a bookmark's
 * sync token (the lag, at most 500 ms); no write rate limit and no absent-read budget (every
 * request comes from one address).
 */
export const REPLICA_BINDINGS: Readonly<Record<string, string>> = {
  REDIS_TIMEOUT_MS: "1500",
  ...ONE_CLIENT_BINDINGS,
  CACHE_TTL_SECONDS: "1",
  STALE_TTL_SECONDS: "0",
  NEGATIVE_TTL_SECONDS: "1",
};

/** Cold keys of a replica run by default: many, so each is written seldom and often expired. */
export const REPLICA_COLD_KEYS = 30;

/** Options of {@link runReplicaSuite}. */
export type ReplicaSuiteOptions = {
  paths: readonly PathName[];
  /** @default READ_MODES */
  modes?: readonly ReadMode[];
  seed: number;
  durationMs: number;
  /** @default 2 */
  isolates?: number;
  /** @default REPLICA_KNOBS */
  profile?: KnobProfile;
  /** Replaces {@link REPLICA_BINDINGS}. @default REPLICA_BINDINGS */
  bindings?: Record<string, string>;
  /** Period of the Worker's Cron during a run, ms. @default CRON_PERIOD_MS */
  cronPeriodMs?: number;
  /** Pause between lag changes, ms. @default [1000, 3000] */
  lagEveryMs?: [number, number];
  /** Highest lag drawn, ms. @default 500 */
  maxLagMs?: number;
  /** Called after each run. */
  onResult?: (result: CheckResult) => void;
} & Pick<
  CheckOptions,
  | "readers"
  | "writers"
  | "coldKeys"
  | "churnKeys"
  | "hotShare"
  | "convergeDeadlineMs"
  | "maxDurationMs"
  | "minWrites"
>;

/** Runs every path in every mode, in order (a path's modes one after the other). */
export async function runReplicaSuite(
  stack: SuiteStack,
  opts: ReplicaSuiteOptions,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const isolateCount = opts.isolates ?? 2;
  const {
    paths,
    modes,
    profile,
    bindings,
    cronPeriodMs,
    lagEveryMs,
    maxLagMs,
    onResult,
    ...shared
  } = opts;
  for (const path of paths) {
    const script = await bundlePath(path);
    for (const mode of modes ?? READ_MODES) {
      const world = await startPrivateReplicas({
        mode,
        apiToken: stack.apiToken,
        cacheKeyPrefix: stack.bindings.CACHE_KEY_PREFIX ?? "check:replicas:",
      });
      try {
        const isolates = await startIsolates(stack, script, isolateCount, {
          ...(bindings ?? REPLICA_BINDINGS),
          ...world.bindings,
        });
        try {
          const result = await runCheck({
            coldKeys: REPLICA_COLD_KEYS,
            ...shared,
            label: `${path}/${mode}`,
            targets: isolates.targets,
            apiToken: stack.apiToken,
            databaseUrl: world.databaseUrl,
            knobs: { urls: world.knobUrls, profile: profile ?? REPLICA_KNOBS },
            cron: { scheduled: isolates.scheduled, isolates: isolateCount, periodMs: cronPeriodMs },
            collections: false,
            bookmarks: true,
            replicas: {
              path,
              mode,
              knobs: { redis: world.redis, postgres: world.postgres },
              ...(lagEveryMs === undefined ? {} : { everyMs: lagEveryMs }),
              ...(maxLagMs === undefined ? {} : { maxLagMs }),
            },
          });
          results.push(result);
          onResult?.(result);
        } finally {
          await isolates.dispose();
        }
      } finally {
        await world.close();
      }
    }
  }
  return results;
}
