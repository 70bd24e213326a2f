/**
 * A small circuit breaker for Redis: after `failureThreshold` consecutive failures it opens and the
 * cache stops calling Redis (requests go straight to the loader) for `openMs`; then one trial call
 * is let through (half-open). Success closes it, failure opens it again. State lives per isolate.
 */

/** Tunables of {@link CircuitBreaker}. */
export type BreakerOptions = {
  /** Consecutive failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call, in ms. @default 10000 */
  openMs?: number;
  /** Clock, replaceable in tests. @default Date.now */
  now?: () => number;
};

/** `closed`: calls flow; `open`: calls are refused; `half-open`: one trial call is in flight. */
export type BreakerState = "closed" | "open" | "half-open";

/** See the module comment. */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #failures = 0;
  #openedAt = 0;
  #state: BreakerState = "closed";

  constructor(options: BreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? 5;
    this.#openMs = options.openMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The current state (an open circuit past its wait reports `open` until a call is tried). */
  get state(): BreakerState {
    return this.#state;
  }

  /** Whether a call may be made now; moves an expired open circuit to half-open (one trial). */
  allow(): boolean {
    if (this.#state === "closed") {
      return true;
    }
    if (this.#state === "open" && this.#now() - this.#openedAt >= this.#openMs) {
      this.#state = "half-open";
      return true;
    }
    return false;
  }

  /** Records a successful call. */
  succeeded(): void {
    this.#failures = 0;
    this.#state = "closed";
  }

  /** Records a failed call (error or timeout). */
  failed(): void {
    this.#failures += 1;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openedAt = this.#now();
    }
  }
}
