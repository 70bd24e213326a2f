/**
 * Keys this isolate recently found fresh in Redis. A read of a warm key makes its own single round
 * trip (as a plain GET would) instead of queueing behind a batch, as long as no other read of that
 * key runs alone in this isolate; the reads that find one running join a batch (`coalescer.ts`),
 * so a flood of reads of one hot key costs at most two Redis reads at a time per isolate rather
 * than one per request. Reads of a cold key (a miss, a lock held) are always coalesced, so a
 * stampede costs one read and one load per isolate. Bounded: the oldest marks are dropped first.
 */

/** Reads of one warm key that run alone at once in an isolate; the others join a batch. */
export const WARM_READS_ALONE = 1;

/** Most keys remembered. */
const MAX_WARM_KEYS = 10_000;

/** See the module comment. */
export class WarmKeys {
  readonly #until = new Map<string, number>();
  /** Reads running alone, by key. */
  readonly #alone = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Claims a read of `key` of its own: `undefined` when the key is not warm or
   * {@link WARM_READS_ALONE} reads of it already run alone (the read then joins a batch).
   * Call the returned function once, when the read is over.
   */
  claimAlone(key: string): (() => void) | undefined {
    const running = this.#alone.get(key) ?? 0;
    if (running >= WARM_READS_ALONE || !this.isWarm(key)) {
      return undefined;
    }
    this.#alone.set(key, running + 1);
    return () => {
      const left = (this.#alone.get(key) ?? 1) - 1;
      if (left > 0) {
        this.#alone.set(key, left);
      } else {
        this.#alone.delete(key);
      }
    };
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
