/**
 * Marks outbox rows applied in batches, one batch at a time per isolate: the first write whose
 * invalidation Redis confirmed opens a batch, which waits {@link APPLIED_MARK_LINGER_MS} for the
 * isolate's other writes and then marks every row that joined with one `UPDATE`. Under a write
 * rate of tens per second and isolate, that saves most writes a Neon request (a transaction, a
 * subrequest and the Worker's CPU to build and send it); a lone write's row is marked that much
 * later, in the background.
 *
 * The marks are bookkeeping: a row left pending is applied once more by the Cron drain, which is
 * harmless (an invalidation stores nothing older than Redis holds). So a batch that never settles
 * costs at most the rows that joined it, never a promise:
 * - a batch runs in the context of the write that opened it (its `waitUntil`); a write joins only
 *   a batch younger than the linger time, so a batch whose context was torn down stops taking
 *   rows once its linger is over;
 * - a joining write waits for the batch with a deadline measured in its own context.
 *
 * @module
 */

/** How long a batch waits for more rows before its `UPDATE`, in ms. */
export const APPLIED_MARK_LINGER_MS = 20;

/** How long a joining write waits for its batch beyond the linger, in ms. */
export const APPLIED_MARK_WAIT_MS = 10_000;

/** Marks `ids` applied (one `UPDATE`); rejects when the database does. */
export type MarkRows = (ids: readonly number[]) => Promise<void>;

/** Options of {@link AppliedMarks}. */
export type AppliedMarksOptions = {
  /** @default APPLIED_MARK_LINGER_MS */
  lingerMs?: number;
  /** @default APPLIED_MARK_WAIT_MS */
  waitMs?: number;
  /** Runs `fn` after `ms`; returns what cancels it. @default setTimeout / clearTimeout */
  schedule?: Schedule;
  /** @default Date.now */
  now?: () => number;
};

/** Runs `fn` after `ms` ms; the returned function cancels it. */
export type Schedule = (ms: number, fn: () => void) => () => void;

const defaultSchedule: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

type Batch = { ids: number[]; openedAt: number; done: Promise<BatchOutcome> };

/** What became of a batch's `UPDATE`. */
export type BatchOutcome = { ids: readonly number[]; error?: unknown };

/** See the module comment. */
export class AppliedMarks {
  #open: Batch | undefined;
  readonly #lingerMs: number;
  readonly #waitMs: number;
  readonly #schedule: Schedule;
  readonly #now: () => number;

  constructor(options: AppliedMarksOptions = {}) {
    this.#lingerMs = options.lingerMs ?? APPLIED_MARK_LINGER_MS;
    this.#waitMs = options.waitMs ?? APPLIED_MARK_WAIT_MS;
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Adds `id` to the open batch, or opens one that `markRows` will mark. Resolves with the batch's
   * outcome (never rejects); `undefined` when the batch did not settle in time.
   */
  mark(id: number, markRows: MarkRows): Promise<BatchOutcome | undefined> {
    const open = this.#open;
    if (open !== undefined && this.#now() - open.openedAt <= this.#lingerMs) {
      open.ids.push(id);
      return this.#waitFor(open.done);
    }
    const batch: Batch = { ids: [id], openedAt: this.#now(), done: Promise.resolve({ ids: [] }) };
    this.#open = batch;
    batch.done = this.#run(batch, markRows);
    return batch.done;
  }

  async #run(batch: Batch, markRows: MarkRows): Promise<BatchOutcome> {
    await new Promise<void>((resolve) => this.#schedule(this.#lingerMs, resolve));
    if (this.#open === batch) {
      this.#open = undefined;
    }
    try {
      await markRows(batch.ids);
      return { ids: batch.ids };
    } catch (error: unknown) {
      return { ids: batch.ids, error };
    }
  }

  #waitFor(done: Promise<BatchOutcome>): Promise<BatchOutcome | undefined> {
    return new Promise((resolve) => {
      const cancel = this.#schedule(this.#lingerMs + this.#waitMs, () => resolve(undefined));
      void done.then((outcome) => {
        cancel();
        resolve(outcome);
      });
    });
  }
}
