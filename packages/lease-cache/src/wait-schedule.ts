/**
 * When a waiter polls for a value another request is loading: short and dense first (a fill usually
 * lands within one Postgres round trip), then one late poll, with ±20% jitter so waiters from many
 * isolates do not poll in lockstep. When this isolate's recent waits were longer (a busy isolate,
 * a slow database), the dense polls move to where those fills landed. The schedule stops at whichever comes first: the poll budget or the deadline.
 */

/** Tunables of {@link waitSchedule}. */
export type WaitScheduleOptions = {
  /** Most polls. @default 8 */
  maxPolls?: number;
  /** Total waiting time allowed, in ms; kept below the lock TTL by the caller. @default 800 */
  deadlineMs?: number;
  /** Source of randomness in [0, 1), replaceable in tests. @default Math.random */
  random?: () => number;
  /**
   * How long this isolate's recent waits for a fill lasted, in ms (see `FillTimes`): the polls
   * are then packed around that moment instead of front-loaded. @default unknown: the base delays
   */
  expectedMs?: number;
};

/**
 * Base delays before each poll, in ms (635 ms in total). Dense for the first ~135 ms: a fill
 * usually lands one Postgres query after the lease, and a waiter's excess over the fill time is at
 * most the gap between two polls (≤ 30 ms there). The last poll comes much later, so a slow load
 * is still waited for rather than repeated.
 */
export const BASE_POLL_DELAYS_MS: readonly number[] = [10, 15, 15, 20, 20, 25, 30, 500];

/**
 * Base delays packed around an expected wait of `expectedMs`: the first poll at 60 % of it, then
 * steps of 10 % (10–40 ms), so a fill that lands about when the last ones did is seen within one
 * step; the last poll keeps the late-poll margin of the base schedule.
 */
export function delaysAround(expectedMs: number, polls: number): number[] {
  const step = Math.min(40, Math.max(10, Math.round(expectedMs * 0.1)));
  const delays = [Math.max(10, Math.round(expectedMs * 0.6))];
  while (delays.length < polls - 1) {
    delays.push(step);
  }
  delays.push(Math.max(step, 500 - (expectedMs * 0.6 + step * (polls - 2))));
  return delays;
}

/** The delays (ms) to sleep before each poll, jittered, within the budget and the deadline. */
export function waitSchedule(options: WaitScheduleOptions = {}): number[] {
  const maxPolls = options.maxPolls ?? BASE_POLL_DELAYS_MS.length;
  const deadlineMs = options.deadlineMs ?? 800;
  const random = options.random ?? Math.random;
  // Short expected waits are what the base schedule is made for.
  const bases =
    options.expectedMs === undefined || options.expectedMs <= 100
      ? BASE_POLL_DELAYS_MS
      : delaysAround(options.expectedMs, maxPolls);
  const delays: number[] = [];
  let total = 0;
  for (let i = 0; i < maxPolls; i++) {
    const base = bases[Math.min(i, bases.length - 1)] ?? 500;
    const delay = Math.round(base * (0.8 + 0.4 * random()));
    if (total + delay > deadlineMs) {
      break;
    }
    delays.push(delay);
    total += delay;
  }
  return delays;
}
