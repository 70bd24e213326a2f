/**
 * Checks a history (docs/consistency-checker.md): per key, acknowledged writes sorted by completion with a
 * running maximum, and a binary search per read — O(n log n) overall.
 *
 * - **Stale read**: a read that returned a state older than the newest write acknowledged before the
 *   read was invoked (the floor). A 404 is read as the newest tombstone that could exist by the time
 *   the read completed (a DELETE, acknowledged or not, invoked before then; or "never created"), so a
 *   404 after a DELETE is fine and a 404 while a create is in flight is fine.
 * - **Impossible read**: a 200 whose (incarnation, version) no write invoked before the read completed
 *   produced (writes with unknown outcome make every state of their key explainable).
 * - **Monotonic-read violation**: a process saw a key go backwards.
 * - **Lost write**: Postgres' final state is older than the newest acknowledged write.
 */
import type { Op } from "./history";
import {
  describeState,
  encodeState,
  Incarnations,
  lastBefore,
  prefixMax,
  TOMBSTONE,
} from "./states";

/** What Postgres holds for a key at the end of a run. */
export type FinalState = { present: true; version: number; createdAt: number } | { present: false };

/** One flagged operation. */
export type Violation = {
  kind: "stale" | "impossible" | "monotonic" | "lost";
  key: string;
  /** The read (or, for `lost`, the newest acknowledged write). */
  opId: number;
  proc: string;
  observed: string;
  /** The floor (stale), the previous observation (monotonic), the acknowledged state (lost). */
  expected: string;
  /** Stale: ms between the floor write's acknowledgement and the read's invocation. */
  lagMs?: number;
};

/** The result of {@link analyze}. */
export type Analysis = {
  counts: {
    ops: number;
    reads: number;
    okReads: number;
    writes: number;
    okWrites: number;
    infoWrites: number;
    failed: number;
    stale: number;
    /** Distinct acknowledged writes that some stale read missed (one race can cause many stale reads). */
    staleEpisodes: number;
    impossible: number;
    monotonic: number;
    lost: number;
  };
  /** The first `maxExamples` violations of each kind. */
  examples: Violation[];
};

/** Options of {@link analyze}. */
export type AnalyzeOptions = {
  /** Violations kept per kind in `examples`. @default 20 */
  maxExamples?: number;
};

/** Analyzes `ops`; `finals` holds Postgres' final state per key (keys missing there are not checked for loss). */
export function analyze(
  ops: readonly Op[],
  finals: ReadonlyMap<string, FinalState>,
  opts: AnalyzeOptions = {},
): Analysis {
  const maxExamples = opts.maxExamples ?? 20;
  const examples: Violation[] = [];
  const counts: Analysis["counts"] = {
    ops: ops.length,
    reads: 0,
    okReads: 0,
    writes: 0,
    okWrites: 0,
    infoWrites: 0,
    failed: 0,
    stale: 0,
    staleEpisodes: 0,
    impossible: 0,
    monotonic: 0,
    lost: 0,
  };
  const flag = (v: Violation) => {
    counts[v.kind] += 1;
    if (examples.filter((e) => e.kind === v.kind).length < maxExamples) {
      examples.push(v);
    }
  };
  const byKey = new Map<string, Op[]>();
  for (const op of ops) {
    counts[op.op === "read" ? "reads" : "writes"] += 1;
    if (op.status === "fail") {
      counts.failed += 1;
    } else if (op.op === "read") {
      counts.okReads += op.status === "ok" ? 1 : 0;
    } else {
      counts[op.status === "ok" ? "okWrites" : "infoWrites"] += 1;
    }
    const list = byKey.get(op.key) ?? [];
    list.push(op);
    byKey.set(op.key, list);
  }
  const missedWrites = new Set<number>();
  for (const [key, keyOps] of byKey) {
    analyzeKey(key, keyOps, finals.get(key), flag, missedWrites);
  }
  counts.staleEpisodes = missedWrites.size;
  return { counts, examples };
}

function analyzeKey(
  key: string,
  ops: readonly Op[],
  final: FinalState | undefined,
  flag: (v: Violation) => void,
  missedWrites: Set<number>,
): void {
  const known = ops.flatMap((op) => (op.createdAt === null ? [] : [op.createdAt]));
  const finalCreatedAt =
    final?.present === true ? Incarnations.align(known, final.createdAt) : undefined;
  const incarnations = new Incarnations(
    finalCreatedAt === undefined ? known : [...known, finalCreatedAt],
  );
  const stateOf = (op: Op): number | undefined =>
    op.createdAt === null || op.version === null
      ? undefined
      : encodeState(incarnations.rank(op.createdAt), op.version);

  const writes = ops.filter((op) => op.op !== "read");
  // Acknowledged writes by completion time, with the running maximum (the floor).
  const acked = writes
    .filter((w) => w.status === "ok" && stateOf(w) !== undefined)
    .sort((a, b) => a.tComplete - b.tComplete);
  const ackedTimes = acked.map((w) => w.tComplete);
  const ackedStates = acked.map((w) => stateOf(w) ?? 0);
  const floors = prefixMax(ackedStates);
  // Tombstones that may exist: DELETEs not known to have failed, by invocation time.
  const deletes = writes
    .filter((w) => w.op === "delete" && w.status !== "fail" && w.createdAt !== null)
    .sort((a, b) => a.tInvoke - b.tInvoke);
  const deleteTimes = deletes.map((d) => d.tInvoke);
  const tombstones = prefixMax(
    deletes.map((d) => encodeState(incarnations.rank(d.createdAt ?? 0), -1)),
  );
  const newestTombstoneBefore = (t: number): number => {
    const i = lastBefore(deleteTimes, t);
    return Math.max(TOMBSTONE, i < 0 ? 0 : (tombstones[i] ?? 0));
  };
  // Earliest invocation of a write that produced each state; unknown-outcome writes explain anything.
  const producedAt = new Map<number, number>();
  for (const w of writes) {
    const s = w.status === "ok" ? stateOf(w) : undefined;
    if (s !== undefined) {
      producedAt.set(s, Math.min(producedAt.get(s) ?? Number.POSITIVE_INFINITY, w.tInvoke));
    }
  }
  const firstInfo = Math.min(
    ...writes.filter((w) => w.status === "info").map((w) => w.tInvoke),
    Number.POSITIVE_INFINITY,
  );

  const observedOf = (r: Op): number =>
    r.version === -1 ? newestTombstoneBefore(r.tComplete) : (stateOf(r) ?? 0);
  const lastSeen = new Map<string, { state: number; opId: number }>();
  const reads = ops
    .filter((op) => op.op === "read" && op.status === "ok")
    .sort((a, b) => a.tInvoke - b.tInvoke);
  for (const r of reads) {
    const observed = observedOf(r);
    const i = lastBefore(ackedTimes, r.tInvoke);
    const floor = i < 0 ? undefined : floors[i];
    if (floor !== undefined && observed < floor) {
      const floorWrite = acked[ackedStates.indexOf(floor)];
      missedWrites.add(floorWrite?.id ?? -1);
      flag({
        kind: "stale",
        key,
        opId: r.id,
        proc: r.proc,
        observed: describeState(observed),
        expected: describeState(floor),
        lagMs: floorWrite === undefined ? undefined : (r.tInvoke - floorWrite.tComplete) / 1e6,
      });
    }
    if (r.version !== -1 && !((producedAt.get(observed) ?? Infinity) < r.tComplete)) {
      if (!(firstInfo < r.tComplete)) {
        flag({
          kind: "impossible",
          key,
          opId: r.id,
          proc: r.proc,
          observed: describeState(observed),
          expected: "a state some write produced",
        });
      }
    }
    const previous = lastSeen.get(r.proc);
    if (previous !== undefined && observed < previous.state) {
      flag({
        kind: "monotonic",
        key,
        opId: r.id,
        proc: r.proc,
        observed: describeState(observed),
        expected: describeState(previous.state),
      });
    }
    lastSeen.set(r.proc, { state: observed, opId: r.id });
  }

  const newestAck = acked.reduce<Op | undefined>(
    (best, w) => (best === undefined || (stateOf(w) ?? 0) > (stateOf(best) ?? 0) ? w : best),
    undefined,
  );
  if (final !== undefined && newestAck !== undefined) {
    const finalState =
      final.present && finalCreatedAt !== undefined
        ? encodeState(incarnations.rank(finalCreatedAt), final.version)
        : newestTombstoneBefore(Number.POSITIVE_INFINITY);
    const ackState = stateOf(newestAck) ?? 0;
    if (finalState < ackState) {
      flag({
        kind: "lost",
        key,
        opId: newestAck.id,
        proc: newestAck.proc,
        observed: describeState(finalState),
        expected: describeState(ackState),
      });
    }
  }
}
