/**
 * The lag nemesis of the replica profile: every 1–3 s (seeded) it sets the Redis replica's lag and
 * the Postgres standby's apply delay, each to a value in 0–500 ms drawn independently, and logs
 * every change on the history's clock. `stop()` switches both to 0 and waits until both replicas
 * caught up, so convergence is measured against replicas that no longer lag.
 */
import type { HistoryRecorder } from "../consistency/history";
import { createRng, deriveSeed } from "../consistency/prng";
import { wakeableSleep } from "../consistency/wakeable-sleep";

/** One change of the lags, on the history's clock (ns since its origin). */
export type LagChange = { t: number; redisLagMs: number; pgLagMs: number };

/** The replicas the nemesis drives (a `RedisPair` and a `PostgresPair` fit). */
export type LagKnobs = {
  redis: { setLag(ms: number): void; waitForCatchUp(timeoutMs?: number): Promise<void> };
  postgres: { setLag(ms: number): Promise<void>; waitForReplay(): Promise<void> };
};

/** Options of {@link startLagNemesis}. */
export type LagNemesisOptions = {
  knobs: LagKnobs;
  recorder: HistoryRecorder;
  seed: number;
  /** Pause between changes, ms. @default [1000, 3000] */
  everyMs?: [number, number];
  /** Highest lag drawn, ms (both replicas). @default 500 */
  maxLagMs?: number;
};

/** What the nemesis did. */
export type LagReport = {
  timeline: LagChange[];
  /**
   * Knob calls that failed (a lost admin session, a replica that did not catch up in time). A run
   * with any is not a run under the lags it claims: the verdict counts it against the path.
   */
  errors: string[];
};

/** A running nemesis. */
export type ActiveLagNemesis = {
  /** Stops it, sets both lags to 0 (logged) and waits for both replicas. */
  stop(): Promise<LagReport>;
};

/** Starts the nemesis with a first change at once (so even a short run lags from its start). */
export function startLagNemesis(opts: LagNemesisOptions): ActiveLagNemesis {
  const rng = createRng(deriveSeed(opts.seed, "lag-nemesis"));
  const [minEvery, maxEvery] = opts.everyMs ?? [1000, 3000];
  const maxLag = opts.maxLagMs ?? 500;
  const timeline: LagChange[] = [];
  const errors: string[] = [];
  // A failed knob call is recorded, never thrown: the loop runs unawaited until stop().
  const attempt = async (step: () => unknown) => {
    try {
      await step();
    } catch (err: unknown) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  };
  const set = async (redisLagMs: number, pgLagMs: number) => {
    timeline.push({ t: opts.recorder.now(), redisLagMs, pgLagMs });
    await attempt(() => opts.knobs.redis.setLag(redisLagMs));
    await attempt(() => opts.knobs.postgres.setLag(pgLagMs));
  };
  let stopped = false;
  const { sleep: pause, wake } = wakeableSleep();
  const loop = (async () => {
    while (!stopped) {
      await set(rng.int(maxLag + 1), rng.int(maxLag + 1));
      await pause(rng.between(minEvery, maxEvery));
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
      await set(0, 0);
      await Promise.all([
        attempt(() => opts.knobs.redis.waitForCatchUp()),
        attempt(() => opts.knobs.postgres.waitForReplay()),
      ]);
      return { timeline, errors };
    },
  };
}
