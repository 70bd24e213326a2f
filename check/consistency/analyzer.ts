/**
 * Checks a history (docs/consistency-checker.md): per product, acknowledged writes sorted by
 * completion with a running maximum, and a binary search per observation — O(n log n) overall
 * (a page read is one observation per product of the run inside its id range; a review-list read
 * looks at most at the 50 reviews acknowledged last before it).
 *
 * What is observed, by class of read:
 * - **product** (`GET /products/:id`): the product's (incarnation, version) and `rating.count`;
 * - **page** (`GET /products?limit=&cursor=`): every product of the run inside the page's id range
 *   (after the cursor, up to the last item when there are more pages): shown at some state, or
 *   absent;
 * - **reviews** (`GET /products/:id/reviews`): `count` and the ids of the items (newest first, at
 *   most 50); a 404 says the product is absent.
 *
 * Violations:
 * - **Stale read**: a read that returned a state older than the newest write acknowledged before the
 *   read was invoked (the floor): an older version or incarnation, a product shown that an
 *   acknowledged DELETE removed, a product missing that an acknowledged create made, a
 *   `rating.count` or review `count` below the reviews acknowledged before the read, an
 *   acknowledged review missing from a list that should show it. A 404 (or a product missing from a
 *   page) is read as the newest tombstone that could exist by the time the read completed (a
 *   DELETE, acknowledged or not, invoked before then; or "never created").
 * - **Impossible read**: a state no write invoked before the read completed produced (writes with
 *   unknown outcome make every state of their product explainable), or more reviews than were
 *   posted by then.
 * - **Monotonic-read violation**: a process saw a product go backwards in the same source (the same
 *   product key, page shape or review list; different pages are different cache entries).
 * - **Lost write**: Postgres' final state is older than the newest acknowledged write, or holds
 *   fewer reviews than were acknowledged.
 *
 * Review counts are checked only on products that the history never deletes (a delete takes the
 * reviews with it, and a review's answer does not name the incarnation it went to).
 */
import { type Op, PRODUCT_WRITES } from "./history";
import {
  describeState,
  encodeState,
  Incarnations,
  lastBefore,
  prefixMax,
  TOMBSTONE,
} from "./states";

/** What Postgres holds for a key at the end of a run (`reviewCount` when it was read). */
export type FinalState =
  | { present: true; version: number; createdAt: number; reviewCount?: number }
  | { present: false };

/** The classes of reads, reported apart. */
export type ReadClass = "product" | "page" | "reviews";

/** Every read class, in report order. */
export const READ_CLASSES: readonly ReadClass[] = ["product", "page", "reviews"];

/** One flagged operation. */
export type Violation = {
  kind: "stale" | "impossible" | "monotonic" | "lost";
  /** The class of the read (`lost`: the class of the write's product, `product`). */
  cls: ReadClass;
  /** The product. */
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

/** A read flagged once per kind (a page read may be stale in several products: counted once). */
export type FlaggedRead = {
  kind: "stale" | "impossible" | "monotonic";
  cls: ReadClass;
  opId: number;
  /** Nanoseconds since the history's origin. */
  tInvoke: number;
  tComplete: number;
};

/** Per-class totals. */
export type ClassCounts = {
  reads: number;
  okReads: number;
  stale: number;
  impossible: number;
  monotonic: number;
};

/** The result of {@link analyze}. */
export type Analysis = {
  counts: {
    ops: number;
    /** Reads of every class. */
    reads: number;
    okReads: number;
    /** Product writes and posted reviews. */
    writes: number;
    okWrites: number;
    infoWrites: number;
    failed: number;
    /** Stale reads (each read once, whatever its class). */
    stale: number;
    /** Distinct acknowledged writes that some stale read missed (one race can cause many stale reads). */
    staleEpisodes: number;
    impossible: number;
    monotonic: number;
    lost: number;
  };
  byClass: Record<ReadClass, ClassCounts>;
  /** The first `maxExamples` violations of each kind. */
  examples: Violation[];
  /** Every flagged read (for attributing them to faults). */
  flagged: FlaggedRead[];
};

/** Options of {@link analyze}. */
export type AnalyzeOptions = {
  /** Violations kept per kind in `examples`. @default 20 */
  maxExamples?: number;
};

/** Lists show at most this many reviews (docs/api.md). */
export const REVIEW_LIST_LIMIT = 50;

/** One product as one read saw it; `version` -1 = absent. */
type Observation = {
  op: Op;
  cls: ReadClass;
  /** What monotonic reads are tracked over, with the process: the product, a page shape, a list. */
  source: string;
  version: number;
  createdAt: number | null;
  ratingCount?: number;
};

type KeyHistory = { writes: Op[]; observations: Observation[]; reviews: Op[]; lists: Op[] };

type Flag = (v: Violation, op: Op) => void;

/** Analyzes `ops`; `finals` holds Postgres' final state per key (keys missing there are not checked for loss). */
export function analyze(
  ops: readonly Op[],
  finals: ReadonlyMap<string, FinalState>,
  opts: AnalyzeOptions = {},
): Analysis {
  const maxExamples = opts.maxExamples ?? 20;
  const analysis = emptyAnalysis(ops.length);
  const seen = new Set<string>();
  const flag: Flag = (v, op) => {
    const id = `${v.kind}:${op.id}`;
    if (seen.has(id)) {
      return;
    }
    seen.add(id);
    analysis.counts[v.kind] += 1;
    if (v.kind !== "lost") {
      analysis.byClass[v.cls][v.kind] += 1;
      analysis.flagged.push({
        kind: v.kind,
        cls: v.cls,
        opId: op.id,
        tInvoke: op.tInvoke,
        tComplete: op.tComplete,
      });
    }
    if (analysis.examples.filter((e) => e.kind === v.kind).length < maxExamples) {
      analysis.examples.push(v);
    }
  };
  const byKey = groupByProduct(ops, analysis);
  const missedWrites = new Set<number>();
  for (const [key, history] of byKey) {
    analyzeProduct(key, history, finals.get(key), flag, missedWrites);
  }
  analysis.counts.staleEpisodes = missedWrites.size;
  return analysis;
}

function emptyAnalysis(ops: number): Analysis {
  const classCounts = (): ClassCounts => ({
    reads: 0,
    okReads: 0,
    stale: 0,
    impossible: 0,
    monotonic: 0,
  });
  return {
    counts: {
      ops,
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
    },
    byClass: { product: classCounts(), page: classCounts(), reviews: classCounts() },
    examples: [],
    flagged: [],
  };
}

const CLASS_OF: Partial<Record<Op["op"], ReadClass>> = {
  read: "product",
  page: "page",
  reviews: "reviews",
};

/** Counts every op and sorts it (pages: their observations) under the products it concerns. */
function groupByProduct(ops: readonly Op[], analysis: Analysis): Map<string, KeyHistory> {
  const byKey = new Map<string, KeyHistory>();
  const historyOf = (key: string): KeyHistory => {
    let h = byKey.get(key);
    if (h === undefined) {
      h = { writes: [], observations: [], reviews: [], lists: [] };
      byKey.set(key, h);
    }
    return h;
  };
  const c = analysis.counts;
  for (const op of ops) {
    const cls = CLASS_OF[op.op];
    if (cls === undefined) {
      c.writes += 1;
      c[op.status === "ok" ? "okWrites" : op.status === "info" ? "infoWrites" : "failed"] += 1;
    } else {
      c.reads += 1;
      analysis.byClass[cls].reads += 1;
      c.okReads += op.status === "ok" ? 1 : 0;
      analysis.byClass[cls].okReads += op.status === "ok" ? 1 : 0;
      c.failed += op.status === "fail" ? 1 : 0;
    }
    if (op.op !== "page") {
      historyOf(op.key);
    }
  }
  // Pages name no product: their observations go to every product inside their id range.
  const products = [...byKey.keys()].sort();
  for (const op of ops) {
    const h = op.op === "page" ? undefined : byKey.get(op.key);
    if (PRODUCT_WRITES.has(op.op)) {
      h?.writes.push(op);
    } else if (op.op === "review") {
      h?.reviews.push(op);
    } else if (op.status !== "ok") {
      // A failed read observed nothing.
    } else if (op.op === "read") {
      h?.observations.push({
        op,
        cls: "product",
        source: op.key,
        version: op.version ?? -1,
        createdAt: op.createdAt,
        ...(op.ratingCount === undefined ? {} : { ratingCount: op.ratingCount }),
      });
    } else if (op.op === "reviews") {
      h?.lists.push(op);
    } else if (op.op === "page") {
      for (const [key, obs] of pageObservations(op, products)) {
        byKey.get(key)?.observations.push(obs);
      }
    }
  }
  return byKey;
}

/** The products of `products` (sorted) inside `op`'s page range, as the page showed them. */
function pageObservations(op: Op, products: readonly string[]): [string, Observation][] {
  const page = op.page;
  if (page === undefined) {
    return [];
  }
  const shown = new Map(page.items.map((item) => [item.id, item]));
  const last = page.items.at(-1)?.id;
  const upTo = page.hasMore && last !== undefined ? last : undefined;
  const out: [string, Observation][] = [];
  // First product strictly after the cursor.
  for (let i = firstAfter(products, page.afterId); i < products.length; i++) {
    const key = products[i] ?? "";
    if (upTo !== undefined && key > upTo) {
      break;
    }
    const item = shown.get(key);
    out.push([
      key,
      {
        op,
        cls: "page",
        source: op.key,
        version: item?.version ?? -1,
        createdAt: item?.createdAt ?? null,
        ...(item === undefined ? {} : { ratingCount: item.ratingCount }),
      },
    ]);
  }
  return out;
}

function firstAfter(sorted: readonly string[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? "") <= id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/** A product's floors: the newest acknowledged state and review count before a time. */
type Floors = {
  stateOf(createdAt: number | null, version: number | null): number | undefined;
  /** The floor state before `t` and the write that set it. */
  floorBefore(t: number): { state: number; write: Op } | undefined;
  /** The newest tombstone that may exist by `t` (or "never created"). */
  tombstoneBefore(t: number): number;
  /** Whether a state was produced by a write invoked before `t` (or an unknown-outcome write was). */
  explainable(state: number, t: number): boolean;
  /** Review counts are checked (the product is never deleted in the history). */
  reviewsChecked: boolean;
  /** Acknowledged reviews by completion time. */
  ackedReviews: Op[];
  /** Reviews acknowledged before `t`. */
  reviewsBefore(t: number): number;
  /** Reviews that may exist by `t` (acknowledged or not, invoked before `t`). */
  reviewsPossibleBy(t: number): number;
};

function floorsOf(history: KeyHistory, final: FinalState | undefined): Floors {
  const { writes, observations, reviews } = history;
  const known = [...writes, ...observations].flatMap((o) =>
    o.createdAt === null ? [] : [o.createdAt],
  );
  const finalCreatedAt =
    final?.present === true ? Incarnations.align(known, final.createdAt) : undefined;
  const incarnations = new Incarnations(
    finalCreatedAt === undefined ? known : [...known, finalCreatedAt],
  );
  const stateOf = (createdAt: number | null, version: number | null): number | undefined =>
    createdAt === null || version === null
      ? undefined
      : encodeState(incarnations.rank(createdAt), version);
  // Acknowledged writes by completion time, with the running maximum (the floor).
  const acked = writes
    .filter((w) => w.status === "ok" && stateOf(w.createdAt, w.version) !== undefined)
    .sort((a, b) => a.tComplete - b.tComplete);
  const ackedTimes = acked.map((w) => w.tComplete);
  const ackedStates = acked.map((w) => stateOf(w.createdAt, w.version) ?? 0);
  const floors = prefixMax(ackedStates);
  // For each prefix, the first write that reached its maximum (the floor's write).
  const floorWrites: Op[] = [];
  acked.forEach((w, i) => {
    const previous = floorWrites[i - 1];
    floorWrites.push(
      previous !== undefined && (floors[i - 1] ?? 0) >= (ackedStates[i] ?? 0) ? previous : w,
    );
  });
  // Tombstones that may exist: DELETEs not known to have failed, by invocation time.
  const deletes = writes
    .filter((w) => w.op === "delete" && w.status !== "fail" && w.createdAt !== null)
    .sort((a, b) => a.tInvoke - b.tInvoke);
  const deleteTimes = deletes.map((d) => d.tInvoke);
  const tombstones = prefixMax(
    deletes.map((d) => encodeState(incarnations.rank(d.createdAt ?? 0), -1)),
  );
  // Earliest invocation of a write that produced each state; unknown-outcome writes explain anything.
  const producedAt = new Map<number, number>();
  for (const w of writes) {
    const s = w.status === "ok" ? stateOf(w.createdAt, w.version) : undefined;
    if (s !== undefined) {
      producedAt.set(s, Math.min(producedAt.get(s) ?? Number.POSITIVE_INFINITY, w.tInvoke));
    }
  }
  const firstInfo = Math.min(
    ...writes.filter((w) => w.status === "info").map((w) => w.tInvoke),
    Number.POSITIVE_INFINITY,
  );
  const ackedReviews = reviews
    .filter((r) => r.status === "ok")
    .sort((a, b) => a.tComplete - b.tComplete);
  const ackedReviewTimes = ackedReviews.map((r) => r.tComplete);
  const postedTimes = reviews
    .filter((r) => r.status !== "fail")
    .map((r) => r.tInvoke)
    .sort((a, b) => a - b);
  return {
    stateOf,
    floorBefore(t) {
      const i = lastBefore(ackedTimes, t);
      const state = i < 0 ? undefined : floors[i];
      const write = i < 0 ? undefined : floorWrites[i];
      return state === undefined || write === undefined ? undefined : { state, write };
    },
    tombstoneBefore(t) {
      const i = lastBefore(deleteTimes, t);
      return Math.max(TOMBSTONE, i < 0 ? 0 : (tombstones[i] ?? 0));
    },
    explainable: (state, t) => (producedAt.get(state) ?? Infinity) < t || firstInfo < t,
    reviewsChecked: deletes.length === 0,
    ackedReviews,
    reviewsBefore: (t) => lastBefore(ackedReviewTimes, t) + 1,
    reviewsPossibleBy: (t) => lastBefore(postedTimes, t) + 1,
  };
}

function analyzeProduct(
  key: string,
  history: KeyHistory,
  final: FinalState | undefined,
  flag: Flag,
  missedWrites: Set<number>,
): void {
  const f = floorsOf(history, final);
  const lastSeen = new Map<string, { state: number; count: number }>();
  const observations = [...history.observations].sort((a, b) => a.op.tInvoke - b.op.tInvoke);
  for (const o of observations) {
    checkObservation(key, o, f, flag, missedWrites, lastSeen);
  }
  const lists = [...history.lists].sort((a, b) => a.tInvoke - b.tInvoke);
  for (const r of lists) {
    checkReviewList(key, r, f, flag, missedWrites, lastSeen);
  }
  checkLost(key, history, final, f, flag);
}

function checkObservation(
  key: string,
  o: Observation,
  f: Floors,
  flag: Flag,
  missedWrites: Set<number>,
  lastSeen: Map<string, { state: number; count: number }>,
): void {
  const r = o.op;
  const base = { key, opId: r.id, proc: r.proc, cls: o.cls };
  const observed =
    o.version === -1 ? f.tombstoneBefore(r.tComplete) : (f.stateOf(o.createdAt, o.version) ?? 0);
  const floor = f.floorBefore(r.tInvoke);
  const counted = f.reviewsChecked && o.version !== -1 && o.ratingCount !== undefined;
  const count = o.ratingCount ?? 0;
  if (floor !== undefined && observed < floor.state) {
    missedWrites.add(floor.write.id);
    flag(
      {
        ...base,
        kind: "stale",
        observed: describeState(observed),
        expected: describeState(floor.state),
        lagMs: (r.tInvoke - floor.write.tComplete) / 1e6,
      },
      r,
    );
  } else if (counted && count < f.reviewsBefore(r.tInvoke)) {
    const missed = f.ackedReviews[count];
    missedWrites.add(missed?.id ?? -1);
    flag(
      {
        ...base,
        kind: "stale",
        observed: `rating.count ${count}`,
        expected: `rating.count ${f.reviewsBefore(r.tInvoke)}`,
        ...(missed === undefined ? {} : { lagMs: (r.tInvoke - missed.tComplete) / 1e6 }),
      },
      r,
    );
  }
  const impossibleState = o.version !== -1 && !f.explainable(observed, r.tComplete);
  if (impossibleState || (counted && count > f.reviewsPossibleBy(r.tComplete))) {
    flag(
      {
        ...base,
        kind: "impossible",
        observed: impossibleState ? describeState(observed) : `rating.count ${count}`,
        expected: impossibleState ? "a state some write produced" : "at most the reviews posted",
      },
      r,
    );
  }
  const source = `${r.proc}|${o.source}`;
  const previous = lastSeen.get(source);
  const backwards =
    previous !== undefined &&
    (observed < previous.state ||
      (counted && observed === previous.state && count < previous.count));
  if (previous !== undefined && backwards) {
    flag(
      {
        ...base,
        kind: "monotonic",
        observed: `${describeState(observed)}${counted ? ` (${count} reviews)` : ""}`,
        expected: `${describeState(previous.state)}${counted ? ` (${previous.count} reviews)` : ""}`,
      },
      r,
    );
  }
  lastSeen.set(source, { state: observed, count });
}

function checkReviewList(
  key: string,
  r: Op,
  f: Floors,
  flag: Flag,
  missedWrites: Set<number>,
  lastSeen: Map<string, { state: number; count: number }>,
): void {
  const base = { key, opId: r.id, proc: r.proc, cls: "reviews" as const };
  const floor = f.floorBefore(r.tInvoke);
  const list = r.reviewList;
  if (list === undefined) {
    // A 404: the product is absent, which must be as new as the floor.
    const observed = f.tombstoneBefore(r.tComplete);
    if (floor !== undefined && observed < floor.state) {
      missedWrites.add(floor.write.id);
      flag(
        {
          ...base,
          kind: "stale",
          observed: `404 (${describeState(observed)})`,
          expected: describeState(floor.state),
          lagMs: (r.tInvoke - floor.write.tComplete) / 1e6,
        },
        r,
      );
    }
    return;
  }
  if (!f.reviewsChecked) {
    return;
  }
  const needed = f.reviewsBefore(r.tInvoke);
  const missing = missingReview(
    list,
    f.ackedReviews.slice(Math.max(0, needed - REVIEW_LIST_LIMIT), needed),
  );
  if (list.count < needed || missing !== undefined) {
    const missed = missing ?? f.ackedReviews[list.count];
    missedWrites.add(missed?.id ?? -1);
    flag(
      {
        ...base,
        kind: "stale",
        observed: `count ${list.count}${missing === undefined ? "" : `, without review ${missing.review?.id}`}`,
        expected: `count ${needed}, with every review acknowledged before the read`,
        ...(missed === undefined ? {} : { lagMs: (r.tInvoke - missed.tComplete) / 1e6 }),
      },
      r,
    );
  }
  if (list.count > f.reviewsPossibleBy(r.tComplete)) {
    flag(
      {
        ...base,
        kind: "impossible",
        observed: `count ${list.count}`,
        expected: "at most the reviews posted",
      },
      r,
    );
  }
  const source = `${r.proc}|#reviews`;
  const previous = lastSeen.get(source);
  if (previous !== undefined && list.count < previous.count) {
    flag(
      {
        ...base,
        kind: "monotonic",
        observed: `count ${list.count}`,
        expected: `count ${previous.count}`,
      },
      r,
    );
  }
  lastSeen.set(source, { state: 0, count: list.count });
}

/**
 * The first of `recent` (acknowledged reviews) that `list` should show and does not: lists show
 * the newest {@link REVIEW_LIST_LIMIT}, so a review may be left out only by a full list whose
 * oldest item is at least as new as it.
 */
function missingReview(
  list: { ids: string[]; oldestCreatedAt: number | null },
  recent: readonly Op[],
): Op | undefined {
  const shown = new Set(list.ids);
  const full = list.ids.length >= REVIEW_LIST_LIMIT;
  return recent.find((op) => {
    const review = op.review;
    if (review === undefined || shown.has(review.id)) {
      return false;
    }
    return !full || review.createdAt > (list.oldestCreatedAt ?? Number.POSITIVE_INFINITY);
  });
}

function checkLost(
  key: string,
  history: KeyHistory,
  final: FinalState | undefined,
  f: Floors,
  flag: Flag,
): void {
  if (final === undefined) {
    return;
  }
  const newestAck = history.writes
    .filter((w) => w.status === "ok" && f.stateOf(w.createdAt, w.version) !== undefined)
    .reduce<Op | undefined>((best, w) => {
      const s = f.stateOf(w.createdAt, w.version) ?? 0;
      return best === undefined || s > (f.stateOf(best.createdAt, best.version) ?? 0) ? w : best;
    }, undefined);
  if (newestAck !== undefined) {
    const finalState = final.present
      ? (f.stateOf(alignedCreatedAt(history, final.createdAt), final.version) ?? 0)
      : f.tombstoneBefore(Number.POSITIVE_INFINITY);
    const ackState = f.stateOf(newestAck.createdAt, newestAck.version) ?? 0;
    if (finalState < ackState) {
      flag(
        {
          kind: "lost",
          cls: "product",
          key,
          opId: newestAck.id,
          proc: newestAck.proc,
          observed: describeState(finalState),
          expected: describeState(ackState),
        },
        newestAck,
      );
    }
  }
  const acked = f.ackedReviews.length;
  const lastReview = f.ackedReviews.at(-1);
  if (
    f.reviewsChecked &&
    final.present &&
    final.reviewCount !== undefined &&
    lastReview !== undefined &&
    final.reviewCount < acked
  ) {
    flag(
      {
        kind: "lost",
        cls: "reviews",
        key,
        opId: lastReview.id,
        proc: lastReview.proc,
        observed: `${final.reviewCount} reviews`,
        expected: `${acked} acknowledged reviews`,
      },
      lastReview,
    );
  }
}

function alignedCreatedAt(history: KeyHistory, createdAt: number): number {
  const known = [...history.writes, ...history.observations].flatMap((o) =>
    o.createdAt === null ? [] : [o.createdAt],
  );
  return Incarnations.align(known, createdAt);
}
