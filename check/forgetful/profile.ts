/**
 * The forgetful profile inside one checker run: started after the keys are seeded, stopped when
 * the load ends, then its faults are matched with the analysis (`attribution.ts`).
 */
import type { Analysis } from "../consistency/analyzer";
import type { HistoryRecorder, Op } from "../consistency/history";
import { type Attribution, attribute } from "./attribution";
import type { EvictionOptions } from "./eviction";
import { type ActiveNemesis, type ForgetfulReport, startNemesis } from "./nemesis";
import type { PrivateRedis } from "./private-redis";
import type { ScheduledFault } from "./schedule";

/** How a run forgets. */
export type ForgetfulOptions = {
  redis: PrivateRedis;
  /** The Worker's `CACHE_KEY_PREFIX` (the run's keys in the private Redis). */
  prefix: string;
  schedule: readonly ScheduledFault[];
  /** Stale reads within this many ms after a restore's return are excused (rule 6). */
  allowanceMs: number;
  eviction?: EvictionOptions;
  /** Pause between key deletions, ms. @default [30, 300] */
  deleteEveryMs?: [number, number];
  /** Hold requests at this Upstash control endpoint during a restore (see `nemesis.ts`). */
  holdUrl?: string;
  /**
   * Hush the workload's writes while keys are deleted (`WorkloadOptions.hushed`): a generation
   * lost twice with one write in between is the loss a counter from zero cannot survive.
   * @default false
   */
  hushWhileDeleting?: boolean;
};

/** What the profile did and what it caused. */
export type ForgetfulOutcome = { faults: ForgetfulReport; attribution: Attribution };

/** Starts the nemesis for a load of `durationMs`. */
export function startForgetful(
  opts: ForgetfulOptions,
  recorder: HistoryRecorder,
  durationMs: number,
  seed: number,
): ActiveNemesis {
  return startNemesis({
    redis: opts.redis,
    recorder,
    schedule: opts.schedule,
    durationMs,
    prefix: opts.prefix,
    seed,
    ...(opts.eviction === undefined ? {} : { eviction: opts.eviction }),
    ...(opts.deleteEveryMs === undefined ? {} : { deleteEveryMs: opts.deleteEveryMs }),
    ...(opts.holdUrl === undefined ? {} : { holdUrl: opts.holdUrl }),
  });
}

/** Attributes the analysis' flagged reads to the faults. */
export function outcomeOf(
  faults: ForgetfulReport,
  analysis: Analysis,
  ops: readonly Op[],
  allowanceMs: number,
): ForgetfulOutcome {
  return { faults, attribution: attribute(analysis.flagged, ops, faults.events, allowanceMs) };
}
