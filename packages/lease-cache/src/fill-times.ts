/**
 * How long this isolate's waiters recently waited for another request's fill (from the first
 * "locked" reply to the one with the value): the wait schedule packs its polls around that time,
 * so a waiter's excess over the fill stays one poll step even when fills are slow (a CPU-starved
 * isolate, a slow database). An exponentially weighted average, per isolate.
 */

/** Weight of the newest observation. */
const ALPHA = 0.3;

/** See the module comment. */
export class FillTimes {
  #average: number | undefined;

  /** The expected wait, in ms; `undefined` before the first observation. */
  get expectedMs(): number | undefined {
    return this.#average === undefined ? undefined : Math.round(this.#average);
  }

  /** Records one wait that ended with the value, in ms. */
  observe(waitedMs: number): void {
    if (!Number.isFinite(waitedMs) || waitedMs < 0) {
      return;
    }
    this.#average =
      this.#average === undefined ? waitedMs : this.#average + ALPHA * (waitedMs - this.#average);
  }
}
