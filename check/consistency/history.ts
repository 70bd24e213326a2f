/**
 * The history of a checker run: one entry per operation, timed by ONE monotonic clock in the driver
 * (`process.hrtime.bigint()`), so server clocks never matter (as in Jepsen).
 */

/**
 * What an operation did. On a product: a read, a full replace or create (`put`), a partial update,
 * a delete. On collections: a read of a product page (`page`, keyed by its shape), a review posted
 * to a product (`review`), a read of a product's review list (`reviews`).
 */
export type OpKind = "read" | "put" | "patch" | "delete" | "page" | "review" | "reviews";

/** The kinds that change a product's (incarnation, version). */
export const PRODUCT_WRITES: ReadonlySet<OpKind> = new Set<OpKind>(["put", "patch", "delete"]);

/** The kinds that read something (and are checked for staleness). */
export const READ_KINDS: ReadonlySet<OpKind> = new Set<OpKind>(["read", "page", "reviews"]);

/** A product as a page or a product read showed it. */
export type ProductView = { id: string; version: number; createdAt: number; ratingCount: number };

/** What a page read answered: the page's shape and its items (ordered by id). */
export type PageView = {
  limit: number;
  /** The page starts after this id (its cursor). */
  afterId: string;
  items: ProductView[];
  /** `nextCursor` was not null: the page covers ids up to its last item only. */
  hasMore: boolean;
};

/** What a review-list read answered. */
export type ReviewListView = {
  count: number;
  /** The ids of the items shown (newest first, at most 50). */
  ids: string[];
  /** `createdAt` (ms) of the oldest item shown, `null` for an empty list. */
  oldestCreatedAt: number | null;
};

/**
 * - `ok`: the outcome is known (a write was acknowledged with 2xx; a read answered 200 or 404);
 * - `fail`: the operation definitely had no effect (a 4xx, or any failed read);
 * - `info`: unknown outcome (a write answered 5xx or lost on the network): it may or may not have
 *   taken effect, so it never raises the stale-read floor, but observing its effect is legal.
 */
export type OpStatus = "ok" | "fail" | "info";

/** One operation of the history. Times are nanoseconds since the recorder's origin. */
export type Op = {
  /** Position in the history (order of invocation). */
  id: number;
  /** The workload process that issued it (`reader-3`, `writer-0`, `churn`, `setup`). */
  proc: string;
  /** Product id (for a page read: the page's shape, `page:<limit>:<afterId>`). */
  key: string;
  op: OpKind;
  tInvoke: number;
  tComplete: number;
  status: OpStatus;
  /**
   * The product version the operation observed or produced; `-1` for "absent" (a 404 read, or a
   * successful DELETE, whose effect is a tombstone); `null` when unknown (fail / info).
   */
  version: number | null;
  /**
   * `createdAt` (ms since the epoch) of the incarnation observed or produced; for a DELETE, of the
   * incarnation it removed. Versions restart at 1 after delete + create, so the order of states of
   * one key is (incarnation, version), and `createdAt` names the incarnation.
   */
  createdAt: number | null;
  /** HTTP status, or 0 when no response arrived. */
  httpStatus: number;
  /** `X-Cache` of a read, when present. */
  xCache?: string;
  /**
   * `Server-Timing` `cache` duration, ms: for a write, how long its inline invalidation took (one
   * that reaches REDIS_TIMEOUT_MS failed, and the write was acknowledged before it was applied).
   */
  cacheMs?: number;
  /** The Worker isolate (or base URL) that served it. */
  target: string;
  /** A product read or write: the product's `rating.count` in the answer. */
  ratingCount?: number;
  /** A page read that answered 200. */
  page?: PageView;
  /** A review-list read that answered 200. */
  reviewList?: ReviewListView;
  /** An acknowledged review: its id and `createdAt` (ms). */
  review?: { id: string; createdAt: number };
  /**
   * A product read that sent a `Bookmark` header: the state of the write that issued it (version
   * -1 for a DELETE's tombstone, `createdAt` the incarnation). Absent when none was sent.
   */
  bookmark?: BookmarkedState;
};

/** The state a bookmark names, as the write that issued it answered. */
export type BookmarkedState = { version: number; createdAt: number | null };

/** What a finished operation reports to {@link HistoryRecorder.complete}. */
export type Completion = Pick<Op, "status" | "version" | "createdAt" | "httpStatus"> &
  Partial<
    Pick<Op, "xCache" | "cacheMs" | "ratingCount" | "page" | "reviewList" | "review" | "bookmark">
  >;

/** A pending operation handle. */
export type Pending = { id: number; tInvoke: number; done: boolean };

/** Records operations against one monotonic origin. */
export class HistoryRecorder {
  readonly #origin = process.hrtime.bigint();
  readonly #ops: Op[] = [];

  /** Nanoseconds since this recorder was created. */
  now(): number {
    return Number(process.hrtime.bigint() - this.#origin);
  }

  /** Records the invocation of an operation; complete it with {@link complete}. */
  invoke(proc: string, key: string, op: OpKind, target: string): Pending {
    const tInvoke = this.now();
    const id = this.#ops.length;
    this.#ops.push({
      id,
      proc,
      key,
      op,
      tInvoke,
      tComplete: Number.POSITIVE_INFINITY,
      status: "info",
      version: null,
      createdAt: null,
      httpStatus: 0,
      target,
    });
    return { id, tInvoke, done: false };
  }

  /** Records the completion of `pending`. */
  complete(pending: Pending, outcome: Completion): Op {
    const op = this.#ops[pending.id];
    if (op === undefined || pending.done) {
      throw new Error(`operation ${pending.id} is unknown or already complete`);
    }
    pending.done = true;
    const tComplete = this.now();
    Object.assign(op, { tComplete, ...outcome });
    return op;
  }

  /** Every operation so far (pending ones have `tComplete` = Infinity and status `info`). */
  get ops(): readonly Op[] {
    return this.#ops;
  }
}
