/**
 * The per-isolate cap on loads made without the lease. When a waiter's budget runs out while
 * another request still holds the lock, it loads directly (and fills nothing). Every later waiter
 * of this isolate that finds the *same* lock (same holder token, same group generation) reuses that
 * load instead of making another. That is safe: a writer's invalidation deletes the lock, so while
 * the same lock is still there no write has been acknowledged since the direct load began.
 */

type Shared = { promise: Promise<unknown>; expiresAt: number; lock: string };

/** See the module comment. */
export class DirectLoads {
  readonly #byKey = new Map<string, Shared>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Runs `load` unless a load for `key` under the same `lock` is recorded and younger than
   * `ttlMs`; `owner` tells whether this call ran it.
   */
  loadOnce<T>(
    key: string,
    lock: string,
    ttlMs: number,
    load: () => Promise<T>,
  ): { promise: Promise<T>; owner: boolean } {
    const at = this.#now();
    const recorded = this.#byKey.get(key);
    if (recorded !== undefined && recorded.lock === lock && recorded.expiresAt > at) {
      return { promise: recorded.promise as Promise<T>, owner: false };
    }
    const promise = load();
    const shared: Shared = { promise, expiresAt: at + ttlMs, lock };
    this.#byKey.set(key, shared);
    // A failed load must not be reused.
    promise.catch(() => {
      if (this.#byKey.get(key) === shared) {
        this.#byKey.delete(key);
      }
    });
    this.#sweep(at);
    return { promise, owner: true };
  }

  #sweep(at: number): void {
    for (const [key, shared] of this.#byKey) {
      if (shared.expiresAt <= at) {
        this.#byKey.delete(key);
      }
    }
  }
}
