/**
 * The replica profile's analysis (rule 8), pure: from a history, the lag timeline and the
 * convergence, per class of product read:
 * - **bookmarked** reads (they sent the `Bookmark` of a write): stale when older than the state
 *   their bookmark names (read-your-writes), non-monotonic when one process saw its key go
 *   backwards among its bookmarked reads. Both must be 0 in every mode;
 * - **stale fills**: a cached entry older than a write acknowledged before its load began. Seen
 *   from outside as a stale read answered `X-Cache: MISS` (the load that filled ran after the
 *   read was invoked, so it should have seen every write acknowledged before) and as keys that
 *   never converge once the lag is 0. Must be 0 in every mode on the real core;
 * - **unbookmarked** reads in `nearest` mode: a read region may lag, so they may be stale, by a
 *   bounded amount. A read's staleness = its end − the acknowledgement of the oldest
 *   acknowledged write it missed; its bound = the highest Redis lag in force during
 *   [that write's acknowledgement − 500 ms, the read's end] + 50 ms. Passes when at most 1% of
 *   the stale ones exceed their bound (p99 within the bound).
 * `strong` mode has no allowance at all: the ordinary analyzer's rules hold for every read.
 *
 * Only product reads (`GET /products/:id`) are judged here; the profile runs without the
 * collections (pages, reviews).
 */
import type { Op } from "../consistency/history";
import type { Percentiles } from "../consistency/run";
import {
  describeState,
  encodeState,
  Incarnations,
  lastBefore,
  prefixMax,
  TOMBSTONE,
} from "../consistency/states";
import type { LagChange } from "./lag-nemesis";
import type { ReadMode } from "./private-replicas";

/** How far before the missed write's acknowledgement its replication may have begun, ms. */
export const BOUND_LOOKBACK_MS = 500;

/** Slack on top of the lag (the read's own round trip to the read region), ms. */
export const BOUND_SLACK_MS = 50;

/** Share of stale unbookmarked reads allowed past their bound (p99 within the bound). */
export const OVER_BOUND_ALLOWANCE = 0.01;

/** One product read as the replica analysis sees it. */
export type ReadStaleness = {
  opId: number;
  key: string;
  proc: string;
  /** Nanoseconds since the history's origin. */
  tInvoke: number;
  /** The state seen, encoded as in `states.ts`. */
  observed: number;
  bookmarked: boolean;
  xCache: string | undefined;
  /** Older than the newest write acknowledged before it was invoked. */
  stale: boolean;
  /** Older than the state its bookmark names. */
  bookmarkStale: boolean;
  /** Stale reads: read end − acknowledgement of the oldest acknowledged write missed, ms. */
  stalenessMs?: number;
  /** Stale reads: the Redis-lag bound of that staleness, ms. */
  boundMs?: number;
};

/** A small example of a finding. */
export type ReplicaExample = {
  kind: "bookmark-stale" | "bookmark-monotonic" | "stale-fill" | "over-bound";
  key: string;
  opId: number;
  proc: string;
  detail: string;
};

/** The result of {@link analyzeReplicas}. */
export type ReplicaAnalysis = {
  mode: ReadMode;
  /** (a) reads that carried a bookmark. */
  bookmarked: { reads: number; stale: number; monotonic: number; missedOthers: number };
  /** (b) stale fills: stale MISS reads plus keys that never converged. */
  staleFills: {
    staleMisses: number;
    bookmarkedStaleMisses: number;
    neverConverged: string[];
    total: number;
  };
  /** (d) unbookmarked reads (judged against the bound in `nearest` mode only). */
  unbookmarked: {
    reads: number;
    stale: number;
    /** Staleness of the stale ones, ms. */
    stalenessMs: Percentiles;
    /** Their bounds, ms. */
    boundMs: Percentiles;
    overBound: number;
    /** At most {@link OVER_BOUND_ALLOWANCE} of the stale ones past their bound (always true in strong mode). */
    withinBound: boolean;
  };
  /** The lag changes of the run. */
  lagChanges: number;
  examples: ReplicaExample[];
};

/** Options of {@link analyzeReplicas}. */
export type ReplicaAnalysisInput = {
  ops: readonly Op[];
  timeline: readonly LagChange[];
  mode: ReadMode;
  /** Keys that never converged after the load. @default none */
  neverConverged?: readonly string[];
  /** Examples kept per kind. @default 5 */
  maxExamples?: number;
};

/**
 * The highest Redis lag in force at any time of [fromNs, toNs] (ns on the history's clock), given
 * the timeline of changes (before the first change the lag is 0).
 */
export function maxRedisLagDuring(
  timeline: readonly LagChange[],
  fromNs: number,
  toNs: number,
): number {
  let max = 0;
  let inForce = 0;
  for (const change of timeline) {
    if (change.t <= fromNs) {
      inForce = change.redisLagMs;
    } else if (change.t <= toNs) {
      max = Math.max(max, change.redisLagMs);
    }
  }
  return Math.max(max, inForce);
}

/** The staleness bound of a read that ended at `readEndNs` and missed a write acknowledged at `ackNs`, ms. */
export function stalenessBoundMs(
  timeline: readonly LagChange[],
  ackNs: number,
  readEndNs: number,
): number {
  return maxRedisLagDuring(timeline, ackNs - BOUND_LOOKBACK_MS * 1e6, readEndNs) + BOUND_SLACK_MS;
}

/**
 * Every completed product read of `ops` (status `ok`) with its staleness, by the same order of
 * states as the analyzer (`states.ts`): a 404 is the newest tombstone that could exist by its end.
 */
export function readStalenesses(
  ops: readonly Op[],
  timeline: readonly LagChange[],
): ReadStaleness[] {
  const byKey = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.op === "read" || op.op === "put" || op.op === "patch" || op.op === "delete") {
      const list = byKey.get(op.key) ?? [];
      list.push(op);
      byKey.set(op.key, list);
    }
  }
  const out: ReadStaleness[] = [];
  for (const [key, keyOps] of byKey) {
    out.push(...keyStalenesses(key, keyOps, timeline));
  }
  return out.sort((a, b) => a.opId - b.opId);
}

function keyStalenesses(
  key: string,
  ops: readonly Op[],
  timeline: readonly LagChange[],
): ReadStaleness[] {
  const incarnations = new Incarnations(
    ops.flatMap((o) => [
      ...(o.createdAt === null ? [] : [o.createdAt]),
      ...(o.bookmark?.createdAt == null ? [] : [o.bookmark.createdAt]),
    ]),
  );
  const stateOf = (createdAt: number | null, version: number) =>
    encodeState(createdAt === null ? 0 : incarnations.rank(createdAt), version);
  const writes = ops.filter((o) => o.op !== "read");
  const acked = writes
    .filter((w) => w.status === "ok" && w.version !== null)
    .sort((a, b) => a.tComplete - b.tComplete);
  const ackedTimes = acked.map((w) => w.tComplete);
  const floors = prefixMax(acked.map((w) => stateOf(w.createdAt, w.version ?? 0)));
  const deletes = writes
    .filter((w) => w.op === "delete" && w.status !== "fail" && w.createdAt !== null)
    .sort((a, b) => a.tInvoke - b.tInvoke);
  const tombstones = prefixMax(deletes.map((d) => stateOf(d.createdAt, -1)));
  const deleteTimes = deletes.map((d) => d.tInvoke);
  const out: ReadStaleness[] = [];
  for (const r of ops) {
    if (r.op !== "read" || r.status !== "ok") {
      continue;
    }
    const observed =
      r.version === -1 || r.version === null
        ? Math.max(TOMBSTONE, tombstones[lastBefore(deleteTimes, r.tComplete)] ?? 0)
        : stateOf(r.createdAt, r.version);
    const last = lastBefore(ackedTimes, r.tInvoke);
    // The oldest missed write: the first acknowledgement at which the floor passed what was seen.
    const first = firstAbove(floors, observed, last);
    const missed = first < 0 ? undefined : acked[first];
    const bookmarkState =
      r.bookmark === undefined ? undefined : stateOf(r.bookmark.createdAt, r.bookmark.version);
    const base: ReadStaleness = {
      opId: r.id,
      key,
      proc: r.proc,
      tInvoke: r.tInvoke,
      observed,
      bookmarked: r.bookmark !== undefined,
      xCache: r.xCache,
      stale: missed !== undefined,
      bookmarkStale: bookmarkState !== undefined && observed < bookmarkState,
    };
    out.push(
      missed === undefined
        ? base
        : {
            ...base,
            stalenessMs: (r.tComplete - missed.tComplete) / 1e6,
            boundMs: stalenessBoundMs(timeline, missed.tComplete, r.tComplete),
          },
    );
  }
  return out;
}

/** First index ≤ `last` of the non-decreasing `floors` whose value is above `state`, or -1. */
function firstAbove(floors: readonly number[], state: number, last: number): number {
  let lo = 0;
  let hi = last + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((floors[mid] ?? Number.POSITIVE_INFINITY) > state) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo <= last ? lo : -1;
}

/** Analyzes a replica run; see the module comment. */
export function analyzeReplicas(input: ReplicaAnalysisInput): ReplicaAnalysis {
  const maxExamples = input.maxExamples ?? 5;
  const examples: ReplicaExample[] = [];
  const example = (e: ReplicaExample) => {
    if (examples.filter((x) => x.kind === e.kind).length < maxExamples) {
      examples.push(e);
    }
  };
  const reads = readStalenesses(input.ops, input.timeline);
  const bookmarked = reads.filter((r) => r.bookmarked);
  for (const r of bookmarked.filter((x) => x.bookmarkStale)) {
    example({
      kind: "bookmark-stale",
      key: r.key,
      opId: r.opId,
      proc: r.proc,
      detail: `older than its bookmark (X-Cache ${r.xCache ?? "none"})`,
    });
  }
  const monotonic = bookmarkedMonotonic(bookmarked, example);
  const staleMisses = reads.filter((r) => r.stale && r.xCache === "MISS");
  for (const r of staleMisses) {
    example({
      kind: "stale-fill",
      key: r.key,
      opId: r.opId,
      proc: r.proc,
      detail: `stale MISS, ${r.stalenessMs?.toFixed(0)} ms after the missed write's ack${r.bookmarked ? " (bookmarked)" : ""}`,
    });
  }
  const neverConverged = [...(input.neverConverged ?? [])];
  const unbookmarked = reads.filter((r) => !r.bookmarked);
  const staleUnbookmarked = unbookmarked.filter((r) => r.stale);
  const over = staleUnbookmarked.filter((r) => (r.stalenessMs ?? 0) > (r.boundMs ?? 0));
  for (const r of over) {
    example({
      kind: "over-bound",
      key: r.key,
      opId: r.opId,
      proc: r.proc,
      detail: `${r.stalenessMs?.toFixed(0)} ms stale, bound ${r.boundMs} ms`,
    });
  }
  return {
    mode: input.mode,
    bookmarked: {
      reads: bookmarked.length,
      stale: bookmarked.filter((r) => r.bookmarkStale).length,
      monotonic,
      missedOthers: bookmarked.filter((r) => r.stale && !r.bookmarkStale).length,
    },
    staleFills: {
      staleMisses: staleMisses.length,
      bookmarkedStaleMisses: staleMisses.filter((r) => r.bookmarked).length,
      neverConverged,
      total: staleMisses.length + neverConverged.length,
    },
    unbookmarked: {
      reads: unbookmarked.length,
      stale: staleUnbookmarked.length,
      stalenessMs: percentiles(staleUnbookmarked.map((r) => r.stalenessMs ?? 0)),
      boundMs: percentiles(staleUnbookmarked.map((r) => r.boundMs ?? 0)),
      overBound: over.length,
      withinBound:
        input.mode === "strong" ||
        over.length <= Math.floor(staleUnbookmarked.length * OVER_BOUND_ALLOWANCE),
    },
    lagChanges: input.timeline.length,
    examples,
  };
}

/** Bookmarked reads of one process and key that went backwards (in invocation order). */
function bookmarkedMonotonic(
  reads: readonly ReadStaleness[],
  example: (e: ReplicaExample) => void,
): number {
  const seen = new Map<string, number>();
  let count = 0;
  for (const r of [...reads].sort((a, b) => a.tInvoke - b.tInvoke)) {
    const source = `${r.proc}|${r.key}`;
    const previous = seen.get(source);
    if (previous !== undefined && r.observed < previous) {
      count += 1;
      example({
        kind: "bookmark-monotonic",
        key: r.key,
        opId: r.opId,
        proc: r.proc,
        detail: `${describeState(r.observed)} after ${describeState(previous)}`,
      });
    }
    seen.set(source, r.observed);
  }
  return count;
}

function percentiles(values: readonly number[]): Percentiles {
  const ms = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}
