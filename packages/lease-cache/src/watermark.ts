/**
 * Watches the watermark Redis holds (the highest write id applied, see `invalidate`). Redis only
 * ever raises it, so a primary that answers a lower one — or none, after this isolate saw one —
 * lost data or came back with older data (a restart from a snapshot, a failover to a replica that
 * missed writes, a flush, an eviction). The watch then reports a {@link Regression} so the
 * application can replay its recent writes' invalidations at once instead of at its next
 * scheduled replay.
 */
import type { Regression } from "./types.js";

/** Tunables of {@link WatermarkWatch}. */
export type WatermarkWatchOptions = {
  /** @default 5000 */
  cooldownMs?: number;
  /** @default Date.now */
  now?: () => number;
};

/** How often a watch reports regressions at most, by default. */
export const REGRESSION_COOLDOWN_MS = 5_000;

/** See the module comment. One per isolate and Redis (`sharedWatermarkWatch`). */
export class WatermarkWatch {
  #known = 0;
  #reportedAt = Number.NEGATIVE_INFINITY;
  readonly #cooldownMs: number;
  readonly #now: () => number;

  constructor(options: WatermarkWatchOptions = {}) {
    this.#cooldownMs = options.cooldownMs ?? REGRESSION_COOLDOWN_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The highest watermark seen. */
  get known(): number {
    return this.#known;
  }

  /**
   * Records what a primary answered to a call sent when this watch knew `knownAtSend` (read
   * {@link known} just before sending). Only an answer below `knownAtSend` is a regression: a call
   * sent earlier may have run before this isolate's own write raised the watermark, and its lower
   * answer is history, not loss. On a regression (at most once per cooldown) calls `onRegression`,
   * the handler of the request that noticed it.
   */
  observe(
    observed: number | undefined,
    knownAtSend: number,
    onRegression?: (regression: Regression) => void,
  ): void {
    if (observed !== undefined) {
      this.raise(observed);
    }
    if (knownAtSend === 0 || (observed !== undefined && observed >= knownAtSend)) {
      return;
    }
    const at = this.#now();
    if (at - this.#reportedAt < this.#cooldownMs) {
      return;
    }
    this.#reportedAt = at;
    onRegression?.({ observed, known: knownAtSend });
  }

  /** Redis is known to hold at least `watermark` (this isolate's write raised it). */
  raise(watermark: number): void {
    if (watermark > this.#known) {
      this.#known = watermark;
    }
  }
}

const watches = new Map<string, WatermarkWatch>();

/** The watch shared by every cache of this isolate that talks to the Redis named `name`. */
export function sharedWatermarkWatch(name: string): WatermarkWatch {
  let watch = watches.get(name);
  if (watch === undefined) {
    watch = new WatermarkWatch();
    watches.set(name, watch);
  }
  return watch;
}
