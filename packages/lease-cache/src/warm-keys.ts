/**
 * Keys this isolate recently found fresh in Redis. Concurrent reads of a warm key each make their
 * own single round trip (as a plain GET would) instead of queueing behind one another's batch;
 * reads of a cold key (a miss, a lock held) are coalesced so a stampede costs one read and one load
 * per isolate. Bounded: the oldest marks are dropped first.
 */

/** Most keys remembered. */
const MAX_WARM_KEYS = 10_000;

/** See the module comment. */
export class WarmKeys {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Whether `key` was found fresh and should still be. */
  isWarm(key: string): boolean {
    const until = this.#until.get(key);
    if (until === undefined) {
      return false;
    }
    if (until <= this.#now()) {
      this.#until.delete(key);
      return false;
    }
    return true;
  }

  /** `key` was found fresh; it should stay so for `forMs`. */
  warm(key: string, forMs: number): void {
    this.#until.delete(key);
    this.#until.set(key, this.#now() + forMs);
    if (this.#until.size > MAX_WARM_KEYS) {
      const oldest = this.#until.keys().next().value;
      if (oldest !== undefined) {
        this.#until.delete(oldest);
      }
    }
  }

  /** `key` was not found fresh. */
  cool(key: string): void {
    this.#until.delete(key);
  }
}
