/**
 * The replica profile inside one checker run: the lag nemesis started after the keys are seeded
 * and stopped (lags back to 0, replicas caught up) when the load ends; after convergence, the
 * replica analysis (`staleness.ts`) of the history.
 */
import type { Convergence } from "../consistency/converge";
import type { HistoryRecorder, Op } from "../consistency/history";
import type { PathName } from "../consistency/suite";
import {
  type ActiveLagNemesis,
  type LagChange,
  type LagNemesisOptions,
  type LagReport,
  startLagNemesis,
} from "./lag-nemesis";
import type { ReadMode } from "./private-replicas";
import { analyzeReplicas, type ReplicaAnalysis } from "./staleness";

/** What a replica run needs. */
export type ReplicaRunOptions = {
  /** The path (`real` or a mutant): the verdict's expectation. */
  path: PathName;
  mode: ReadMode;
} & Pick<LagNemesisOptions, "knobs" | "everyMs" | "maxLagMs">;

/** What the profile did and found. */
export type ReplicaOutcome = {
  path: PathName;
  mode: ReadMode;
  timeline: LagChange[];
  /** Knob calls of the nemesis that failed (see {@link LagReport}). */
  nemesisErrors: string[];
  analysis: ReplicaAnalysis;
};

/** Starts the lag nemesis. */
export function startReplicaLag(
  opts: ReplicaRunOptions,
  recorder: HistoryRecorder,
  seed: number,
): ActiveLagNemesis {
  return startLagNemesis({
    knobs: opts.knobs,
    recorder,
    seed,
    ...(opts.everyMs === undefined ? {} : { everyMs: opts.everyMs }),
    ...(opts.maxLagMs === undefined ? {} : { maxLagMs: opts.maxLagMs }),
  });
}

/** The replica analysis of a finished run. */
export function replicaOutcomeOf(
  opts: ReplicaRunOptions,
  ops: readonly Op[],
  lag: LagReport,
  convergence: Convergence,
): ReplicaOutcome {
  const { timeline } = lag;
  const neverConverged = Object.entries(convergence.perKey)
    .filter(([, ms]) => ms === null)
    .map(([key]) => key);
  return {
    path: opts.path,
    mode: opts.mode,
    timeline,
    nemesisErrors: lag.errors,
    analysis: analyzeReplicas({ ops, timeline, mode: opts.mode, neverConverged }),
  };
}
