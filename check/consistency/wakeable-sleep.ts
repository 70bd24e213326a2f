/**
 * A sleep that the stopping side can cut short: the nemeses (Postgres stalls, lag changes,
 * forgetful faults) sleep between their steps, and `stop()` must not wait out the current pause.
 */

/** Sleeps of one loop, and `wake()` to end the one in progress (a later sleep is not affected). */
export type WakeableSleep = {
  sleep(ms: number): Promise<void>;
  wake(): void;
};

/** A fresh {@link WakeableSleep}. */
export function wakeableSleep(): WakeableSleep {
  let wake: () => void = () => {};
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, ms));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake(),
  };
}
