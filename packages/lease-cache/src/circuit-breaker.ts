/**
 * A small circuit breaker for Redis, one per isolate and Redis.
 *
 * ```text
 * closed ──(failureThreshold consecutive failures)──▶ open
 * open ──(openMs passed; the next call is the trial)──▶ half-open
 * half-open ──(trial succeeded)──▶ closed
 * half-open ──(trial failed, or reported nothing within openMs)──▶ open
 * ```
 *
 * While open, calls are refused at once (requests go straight to the loader). Best-effort calls
 * (clean-ups after a failure) run only while the circuit is closed: they never become the trial,
 * whose outcome must be recorded for the circuit to leave half-open.
 *
 * Failures count once per burst: a failed call that started before the last counted failure was
 * recorded overlapped it (250 requests timing out together in a CPU-starved isolate are one
 * failure, not 250), so the circuit opens on failures that keep coming, not on one bad moment.
 */

/** Tunables of {@link CircuitBreaker}. */
export type BreakerOptions = {
  /** Consecutive failures that open the circuit. @default 5 (`BREAKER_FAILURE_THRESHOLD`) */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial call, in ms. @default 10000 (`BREAKER_OPEN_MS`) */
  openMs?: number;
  /** Clock, replaceable in tests. @default Date.now */
  now?: () => number;
};

/** Consecutive failures that open the circuit by default. */
export const BREAKER_FAILURE_THRESHOLD = 5;

/** How long an open circuit refuses calls by default, in ms. */
export const BREAKER_OPEN_MS = 10_000;

/** `closed`: calls flow; `open`: calls are refused; `half-open`: one trial call is in flight. */
export type BreakerState = "closed" | "open" | "half-open";

/** See the module comment. */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  #failures = 0;
  /** When the last counted failure was recorded (calls started before it overlapped it). */
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  /** When the circuit opened, or when the trial was let through (half-open). */
  #since = 0;
  #state: BreakerState = "closed";

  constructor(options: BreakerOptions = {}) {
    this.#threshold = options.failureThreshold ?? BREAKER_FAILURE_THRESHOLD;
    this.#openMs = options.openMs ?? BREAKER_OPEN_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The current state (an open circuit past its wait reports `open` until a call is tried). */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Whether a call may be made now. An open circuit past its wait lets this call through as the
   * trial (half-open); a trial that reported nothing for `openMs` is replaced by a new one.
   * @param bestEffort a call whose outcome will not be reported: allowed only while closed.
   *   @default false
   */
  allow(bestEffort = false): boolean {
    if (this.#state === "closed") {
      return true;
    }
    if (bestEffort || this.#now() - this.#since < this.#openMs) {
      return false;
    }
    this.#state = "half-open";
    this.#since = this.#now();
    return true;
  }

  /** Records a successful call. */
  succeeded(): void {
    this.#failures = 0;
    this.#state = "closed";
  }

  /** The breaker's clock (callers pass its readings back as `startedAt`). */
  now(): number {
    return this.#now();
  }

  /**
   * Records a failed call (error, timeout or unusable reply). A call that started before the last
   * counted failure was recorded overlapped it and does not count again (a trial always decides).
   * @param startedAt when the call started, on {@link now}'s clock. @default now: it counts
   */
  failed(startedAt: number = this.#now()): void {
    if (this.#state !== "half-open" && startedAt < this.#lastFailureAt) {
      return;
    }
    this.#lastFailureAt = this.#now();
    this.#failures += 1;
    if (this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#since = this.#now();
    }
  }
}
