/**
 * When a waiter polls for a value another request is loading: short and dense first (a fill usually
 * lands within one Postgres round trip), then one late poll, with ±20% jitter so waiters from many
 * isolates do not poll in lockstep. The schedule stops at whichever comes first: the poll budget or the deadline.
 */

/** Tunables of {@link waitSchedule}. */
export type WaitScheduleOptions = {
  /** Most polls. @default 8 */
  maxPolls?: number;
  /** Total waiting time allowed, in ms; kept below the lock TTL by the caller. @default 800 */
  deadlineMs?: number;
  /** Source of randomness in [0, 1), replaceable in tests. @default Math.random */
  random?: () => number;
};

/**
 * Base delays before each poll, in ms (635 ms in total). Dense for the first ~135 ms: a fill
 * usually lands one Postgres query after the lease, and a waiter's excess over the fill time is at
 * most the gap between two polls (≤ 30 ms there). The last poll comes much later, so a slow load
 * is still waited for rather than repeated.
 */
export const BASE_POLL_DELAYS_MS: readonly number[] = [10, 15, 15, 20, 20, 25, 30, 500];

/** The delays (ms) to sleep before each poll, jittered, within the budget and the deadline. */
export function waitSchedule(options: WaitScheduleOptions = {}): number[] {
  const maxPolls = options.maxPolls ?? BASE_POLL_DELAYS_MS.length;
  const deadlineMs = options.deadlineMs ?? 800;
  const random = options.random ?? Math.random;
  const delays: number[] = [];
  let total = 0;
  for (let i = 0; i < maxPolls; i++) {
    const base = BASE_POLL_DELAYS_MS[Math.min(i, BASE_POLL_DELAYS_MS.length - 1)] ?? 500;
    const delay = Math.round(base * (0.8 + 0.4 * random()));
    if (total + delay > deadlineMs) {
      break;
    }
    delays.push(delay);
    total += delay;
  }
  return delays;
}
