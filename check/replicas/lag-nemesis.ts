/**
 * The lag nemesis of the replica profile: every 1–3 s (seeded) it sets the Redis replica's lag and
 * the Postgres standby's apply delay, each to a value in 0–500 ms drawn independently, and logs
 * every change on the history's clock. `stop()` switches both to 0 and waits until both replicas
 * caught up, so convergence is measured against replicas that no longer lag.
 */
import type { HistoryRecorder } from "../consistency/history";
import { createRng, deriveSeed } from "../consistency/prng";

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

/** A running nemesis. */
export type ActiveLagNemesis = {
  /** Stops it, sets both lags to 0 (logged) and waits for both replicas; returns the timeline. */
  stop(): Promise<LagChange[]>;
};

/** Starts the nemesis with a first change at once (so even a short run lags from its start). */
export function startLagNemesis(opts: LagNemesisOptions): ActiveLagNemesis {
  const rng = createRng(deriveSeed(opts.seed, "lag-nemesis"));
  const [minEvery, maxEvery] = opts.everyMs ?? [1000, 3000];
  const maxLag = opts.maxLagMs ?? 500;
  const timeline: LagChange[] = [];
  const set = async (redisLagMs: number, pgLagMs: number) => {
    timeline.push({ t: opts.recorder.now(), redisLagMs, pgLagMs });
    opts.knobs.redis.setLag(redisLagMs);
    await opts.knobs.postgres.setLag(pgLagMs);
  };
  let stopped = false;
  let wake: () => void = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
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
      await Promise.all([opts.knobs.redis.waitForCatchUp(), opts.knobs.postgres.waitForReplay()]);
      return timeline;
    },
  };
}
