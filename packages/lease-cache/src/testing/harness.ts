/**
 * Test harness for code that uses the cache: an "isolate" is a cache with its own coalescing and
 * direct-load state over a shared {@link MemoryRedis} (or over any port, a real Redis through an
 * adapter say, with a clock of the test's own); time and sleeping are controlled by the test, so
 * races are played out in a chosen order instead of hoped for.
 */
import { type CacheAside, createCacheAsideWith } from "../cache-aside.js";
import { CircuitBreaker } from "../circuit-breaker.js";
import { Coalescer } from "../coalescer.js";
import { DirectLoads } from "../direct-loads.js";
import { FillTimes } from "../fill-times.js";
import type { RedisPort } from "../redis-port.js";
import type { CacheConfig, CacheResult, Regression } from "../types.js";
import { WarmKeys } from "../warm-keys.js";
import { WatermarkWatch } from "../watermark.js";
import { MemoryRedis } from "./memory-redis.js";

/** Collects `waitUntil` promises so a test can await the background work deterministically. */
export class Background {
  readonly pending: Promise<unknown>[] = [];
  waitUntil(promise: Promise<unknown>): void {
    this.pending.push(promise);
  }
  /** Settles everything registered so far (and whatever that registers in turn). */
  async drain(): Promise<void> {
    let seen = 0;
    while (seen < this.pending.length) {
      const batch = this.pending.slice(seen);
      seen = this.pending.length;
      await Promise.allSettled(batch);
    }
  }
}

/** A simulated isolate. */
export type TestIsolate = {
  cache: CacheAside;
  background: Background;
  breaker: CircuitBreaker;
};

/** Options of {@link isolate}. */
export type IsolateOptions = {
  /** Overrides of `defaultCacheConfig`. @default {} */
  config?: Partial<CacheConfig>;
  /** Called instead of sleeping. @default advancing the clock by `ms` and yielding */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The port the cache talks through (a `countingPort`, or a real Redis through an adapter).
   * Required when the clock is not a {@link MemoryRedis}. @default the `MemoryRedis` given
   */
  port?: RedisPort;
  /** @default "strong" */
  readConsistency?: "strong" | "nearest";
  /** @default none */
  onRegression?: (regression: Regression) => void;
};

/**
 * The clock of an isolate: the time in ms the cache sees, advanced by the test (and by the
 * default `sleep`). A {@link MemoryRedis} is one; so is a plain `{ now: 0 }`.
 */
export type TestClock = { now: number };

/** Builds one isolate over `redis`, using `redis.now` as its clock. */
export function isolate(redis: MemoryRedis, options?: IsolateOptions): TestIsolate;
/**
 * Builds one isolate over `options.port` (a real Redis through an adapter, say), using
 * `clock.now` as its clock: the cache's clock (breaker, warm keys, direct loads, ages) is the
 * test's, while Redis keeps its own for TTLs.
 *
 * @example
 * const clock = { now: 0 };
 * const { cache, background } = isolate(clock, { port: ioredisPort(redis) });
 */
export function isolate(
  clock: TestClock,
  options: IsolateOptions & { port: RedisPort },
): TestIsolate;
export function isolate(clock: TestClock, options: IsolateOptions = {}): TestIsolate {
  const port = options.port ?? (clock instanceof MemoryRedis ? clock : undefined);
  if (port === undefined) {
    throw new TypeError(
      "lease-cache/testing: isolate() needs options.port unless its clock is a MemoryRedis",
    );
  }
  const background = new Background();
  const now = () => clock.now;
  const breaker = new CircuitBreaker({ now });
  let tokens = 0;
  const cache = createCacheAsideWith(
    {
      redis: port,
      config: options.config,
      background,
      breaker,
      ...(options.readConsistency === undefined
        ? {}
        : { readConsistency: options.readConsistency }),
      ...(options.onRegression === undefined ? {} : { onRegression: options.onRegression }),
    },
    {
      coalescer: new Coalescer<CacheResult<unknown>>(),
      directLoads: new DirectLoads(now),
      warmKeys: new WarmKeys(now),
      fillTimes: new FillTimes(),
      watermark: new WatermarkWatch({ now }),
      now,
      random: () => 0.5,
      newToken: () => `token-${++tokens}-${Math.random().toString(36).slice(2, 8)}`,
      sleep:
        options.sleep ??
        (async (ms) => {
          clock.now += ms;
          await Promise.resolve();
        }),
    },
  );
  return { cache, background, breaker };
}

/** A promise the test resolves when it chooses: holds a loader at a known point. */
export function latch<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A loader that counts its calls and returns `value` (or absence for `undefined`). */
export function countingLoader<T>(value: T | undefined) {
  const loader = async () =>
    value === undefined ? ({ found: false } as const) : ({ found: true, value } as const);
  const wrapped = Object.assign(
    async () => {
      wrapped.calls += 1;
      return loader();
    },
    { calls: 0 },
  );
  return wrapped;
}
