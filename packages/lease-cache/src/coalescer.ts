/**
 * In-isolate coalescing that never serves a read older than its own arrival.
 *
 * Requests for one key are grouped into batches. A batch's work (its Redis read and, if needed, its
 * load) starts only after every member has joined, so whatever it returns reflects Redis and
 * Postgres as they were after each member arrived: a write acknowledged before a member arrived has
 * already deleted its keys, and the batch cannot see what that write replaced. Requests that arrive
 * while a batch is running join the next batch, which starts when the running one has finished
 * (including its fill, so the next batch usually hits). One batch at a time per key and isolate: N
 * concurrent requests cost at most two Redis reads and one load in this isolate.
 *
 * workerd rules: a batch's work runs in the context of its first member (the leader), registered
 * with that request's `waitUntil`, so it survives the leader's client going away. Every member
 * waits with a deadline measured in its own context: if a leader's context is torn down and the
 * shared promise can never settle, the member gives up waiting and does its own work.
 */

/** How a request took part in a batch. */
export type Joined<R> = { role: "leader"; result: R } | { role: "follower"; result: R };

type Batch<R> = {
  /** Settles with the leader's result (or its error). */
  result: Promise<R>;
  resolve(value: R): void;
  reject(reason: unknown): void;
  /** Settles when the batch's work, background fill included, is over. */
  finished: Promise<void>;
  finish(): void;
};

type KeyQueue<R> = { running?: Batch<R>; next?: Batch<R> };

/** Outcome of waiting with a deadline. */
const TIMED_OUT: unique symbol = Symbol("timed out");

/** See the module comment. */
export class Coalescer<R> {
  readonly #queues = new Map<string, KeyQueue<R>>();

  /**
   * Joins the open batch for `key` or starts one. The leader runs `work(done)`; `done` must be
   * called once the background part (the fill) is over, which lets the next batch start. Followers
   * get the leader's result; after `deadlineMs` without one they run `work` themselves, uncoalesced.
   */
  async join(
    key: string,
    deadlineMs: number,
    work: (done: () => void) => Promise<R>,
    keepAlive: (promise: Promise<unknown>) => void,
  ): Promise<Joined<R>> {
    const queue = this.#queues.get(key) ?? {};
    this.#queues.set(key, queue);

    // A request joins only a batch that has not started: the running one's read was sent before
    // it arrived.
    // @mutation-point coalesce.join-open-batch
    const open = queue.next;
    if (open !== undefined) {
      const shared = await withDeadline(open.result, deadlineMs);
      if (shared !== TIMED_OUT) {
        return { role: "follower", result: shared };
      }
      return { role: "leader", result: await work(() => {}) };
    }

    const batch = newBatch<R>();
    const predecessor = queue.running;
    if (predecessor !== undefined) {
      queue.next = batch;
      await withDeadline(predecessor.finished, deadlineMs);
      if (queue.next === batch) {
        queue.next = undefined;
      }
    }
    queue.running = batch;
    const release = () => {
      batch.finish();
      if (queue.running === batch) {
        queue.running = undefined;
      }
      if (queue.running === undefined && queue.next === undefined) {
        this.#queues.delete(key);
      }
    };
    keepAlive(batch.finished);
    try {
      const result = await work(release);
      batch.resolve(result);
      return { role: "leader", result };
    } catch (err: unknown) {
      batch.reject(err);
      release();
      throw err;
    }
  }

  /** Keys with a batch running or waiting (for tests). */
  get size(): number {
    return this.#queues.size;
  }
}

function newBatch<R>(): Batch<R> {
  let resolve: (value: R) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const result = new Promise<R>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody followed must not surface as an unhandled rejection.
  result.catch(() => {});
  let finish: () => void = () => {};
  const finished = new Promise<void>((res) => {
    finish = res;
  });
  return { result, resolve, reject, finished, finish };
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
  }
}
