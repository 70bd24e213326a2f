/**
 * Which fault each flagged read belongs to: the fault active, or the last one begun, when the read
 * was answered (`none` before the first; a read in flight when a fault began may have been served
 * by the Redis it left behind). For each restore, its stale window: from Redis's return to the
 * answer of the last stale read attributed to it. Rule 6 of docs/api.md allows stale reads after Redis
 * came back with older data for a bounded time (60 s in production, the Cron period): those within
 * `allowanceMs` of a restore's return are **excused**; every other stale or non-monotonic read is
 * a finding (losing keys may cost misses, never stale reads).
 */
import { type FlaggedRead, READ_CLASSES, type ReadClass } from "../consistency/analyzer";
import type { Op } from "../consistency/history";
import { lastBefore } from "../consistency/states";
import type { FaultEvent } from "./nemesis";

/** The label of reads before any fault. */
export const NO_FAULT = "none";

/** Flagged reads of one fault. */
export type FaultCounts = {
  stale: Record<ReadClass, number>;
  monotonic: number;
  impossible: number;
  /** Reads answered `X-Cache: BYPASS` (Redis unusable for that request). */
  bypass: number;
};

/** One restore's stale window. */
export type RestoreWindow = {
  /** When Redis answered again, ms since the history's origin. */
  returnedAtMs: number;
  staleReads: number;
  /** The answer of the last stale read attributed to it, ms since the origin; `null` if none. */
  lastStaleAtMs: number | null;
  /** `lastStaleAtMs - returnedAtMs` (0 without stale reads). */
  windowMs: number;
};

/** The attribution of a run. */
export type Attribution = {
  perFault: Record<string, FaultCounts>;
  restores: RestoreWindow[];
  /** Stale and non-monotonic reads within the allowance after a restore. */
  excused: number;
  /** Every other stale or non-monotonic read. */
  unexcused: number;
  allowanceMs: number;
};

/** Attributes `flagged` reads (and bypasses among `ops`) to `events`, by their answer's time. */
export function attribute(
  flagged: readonly FlaggedRead[],
  ops: readonly Op[],
  events: readonly FaultEvent[],
  allowanceMs: number,
): Attribution {
  const sorted = [...events].sort((a, b) => a.tStart - b.tStart);
  const starts = sorted.map((e) => e.tStart);
  // An event starting exactly at the read's answer was already active: hence the +1.
  const eventAt = (t: number) => sorted[lastBefore(starts, t + 1)];
  const perFault: Record<string, FaultCounts> = {};
  const countsOf = (fault: string): FaultCounts => {
    perFault[fault] ??= {
      stale: { product: 0, page: 0, reviews: 0 },
      monotonic: 0,
      impossible: 0,
      bypass: 0,
    };
    return perFault[fault];
  };
  const windows = new Map<FaultEvent, RestoreWindow>();
  for (const e of sorted.filter((x) => x.fault === "restore")) {
    windows.set(e, {
      returnedAtMs: e.tEnd / 1e6,
      staleReads: 0,
      lastStaleAtMs: null,
      windowMs: 0,
    });
  }
  let excused = 0;
  let unexcused = 0;
  for (const read of flagged) {
    const event = eventAt(read.tComplete);
    const counts = countsOf(event?.fault ?? NO_FAULT);
    if (read.kind === "stale") {
      counts.stale[read.cls] += 1;
    } else {
      counts[read.kind] += 1;
    }
    if (read.kind === "impossible") {
      continue;
    }
    const window = event === undefined ? undefined : windows.get(event);
    const sinceReturnMs = event === undefined ? 0 : (read.tComplete - event.tEnd) / 1e6;
    if (window !== undefined && read.kind === "stale") {
      window.staleReads += 1;
      const at = read.tComplete / 1e6;
      window.lastStaleAtMs = Math.max(window.lastStaleAtMs ?? at, at);
      window.windowMs = Math.max(0, window.lastStaleAtMs - window.returnedAtMs);
    }
    if (window !== undefined && sinceReturnMs <= allowanceMs) {
      excused += 1;
    } else {
      unexcused += 1;
    }
  }
  for (const op of ops) {
    if (op.xCache === "BYPASS") {
      countsOf(eventAt(op.tComplete)?.fault ?? NO_FAULT).bypass += 1;
    }
  }
  return { perFault, restores: [...windows.values()], excused, unexcused, allowanceMs };
}

/** Stale reads of a fault, all classes together. */
export function staleOf(counts: FaultCounts): number {
  return READ_CLASSES.reduce((sum, cls) => sum + counts.stale[cls], 0);
}
