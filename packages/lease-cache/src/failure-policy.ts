/**
 * The cache's failure policy, in one place. Every Redis call goes through {@link RedisGuard}:
 * - it is refused at once while the circuit breaker is open (no call, no waiting);
 * - it is abandoned after `timeoutMs`, or 1.5 × `timeoutMs` when the timer itself fired late because
 *   this isolate was stalled, and its signal is then aborted, which ends the Upstash client's fetch
 *   (`adapters/upstash.ts`, which also needs no client retries);
 * - any error, timeout or refusal becomes a {@link RedisUnavailableError}, which the cache turns into
 *   "answer from the loader, fill nothing" for reads and a rejected promise for invalidations (the
 *   caller's outbox retries those).
 */
import { CircuitBreaker } from "./circuit-breaker.js";
import type { RedisPort } from "./redis-port.js";
import { type CallCounter, runScript } from "./run-script.js";
import type { LuaScript } from "./scripts.js";

/** Why Redis could not be used. */
export type RedisFailureReason = "timeout" | "error" | "circuit-open";

/** Thrown by {@link RedisGuard.run} when Redis is unusable; never reaches an HTTP client. */
export class RedisUnavailableError extends Error {
  readonly reason: RedisFailureReason;

  constructor(reason: RedisFailureReason, cause?: unknown) {
    super(`redis unavailable: ${reason}`, { cause });
    this.name = "RedisUnavailableError";
    this.reason = reason;
  }
}

const breakers = new Map<string, CircuitBreaker>();

/**
 * The breaker shared by every request of this isolate that talks to the Redis named `name` (its
 * URL), so one request's failures protect the next requests.
 */
export function sharedBreaker(name: string): CircuitBreaker {
  let breaker = breakers.get(name);
  if (breaker === undefined) {
    breaker = new CircuitBreaker();
    breakers.set(name, breaker);
  }
  return breaker;
}

/** How a call is treated by the breaker (see {@link RedisGuard.run}). */
export type CallKind = "normal" | "best-effort" | "essential";

/** Runs scripts under the failure policy. */
export class RedisGuard {
  readonly #redis: RedisPort;
  readonly #breaker: CircuitBreaker;
  readonly #timeoutMs: number;

  constructor(redis: RedisPort, breaker: CircuitBreaker, timeoutMs: number) {
    this.#redis = redis;
    this.#breaker = breaker;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `script` and decodes its reply with `decode`; rejects with {@link RedisUnavailableError}
   * on refusal, timeout, error, or a reply `decode` rejects (a misbehaving proxy, or a client whose
   * aborted signal fabricates replies, must never become data or a 500).
   * - A `bestEffort` call runs only while the breaker is closed and its failure does not count
   *   against it (clean-ups after a failure would otherwise trip it twice per failure).
   * - An `essential` call (a write's invalidation) is tried even while the circuit is open: it is
   *   rare, and refusing it would keep an entry a write replaced until the Cron drain. Its
   *   outcome is recorded as any other.
   */
  async run<T = unknown>(
    script: LuaScript,
    keys: string[],
    args: string[],
    counter: CallCounter,
    decode: (reply: unknown) => T = (reply) => reply as T,
    kind: CallKind = "normal",
  ): Promise<T> {
    const bestEffort = kind === "best-effort";
    if (kind !== "essential" && !this.#breaker.allow(bestEffort)) {
      throw new RedisUnavailableError("circuit-open");
    }
    const startedAt = this.#breaker.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeoutMs = this.#timeoutMs;
    const now = () => this.#breaker.now();
    // Aborted only when the call is given up; the guard's own timer is the call's only timer.
    const abandon = new AbortController();
    const timeout = new Promise<never>((_, reject) => {
      const expire = () => {
        // Give already-arrived I/O one more turn before declaring a timeout: in a CPU-busy isolate
        // the timer and a reply that came back in 2 ms can be due together, and the reply must win.
        timer = setTimeout(() => {
          const err = new RedisUnavailableError("timeout");
          reject(err);
          abandon.abort(err);
        }, 0);
      };
      timer = setTimeout(() => {
        // A timer that fires late by half the timeout or more means this isolate was stalled (a
        // stampede of requests on one CPU), not that Redis was slow: the reply may be waiting to
        // be read. Wait once more, half the timeout, instead of treating Redis as unusable.
        const lateMs = now() - startedAt - timeoutMs;
        if (lateMs >= timeoutMs / 2) {
          timer = setTimeout(expire, timeoutMs / 2);
        } else {
          expire();
        }
      }, timeoutMs);
    });
    try {
      const result = decode(
        await Promise.race([
          runScript(this.#redis, script, keys, args, counter, abandon.signal),
          timeout,
        ]),
      );
      this.#breaker.succeeded();
      return result;
    } catch (err: unknown) {
      if (!bestEffort) {
        this.#breaker.failed(startedAt);
      }
      if (err instanceof RedisUnavailableError) {
        throw err;
      }
      throw new RedisUnavailableError(isTimeout(err) ? "timeout" : "error", err);
    } finally {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    }
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}
