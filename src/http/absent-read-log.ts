/**
 * The absent-id budget's counter: per client, a sliding log in Redis of the reads that may reach
 * Postgres and find nothing ({@link ABSENT_READ_LOG}), so "at most N per minute" holds in every
 * 60 s, not only per calendar minute. A weighted two-window estimate (`@upstash/ratelimit`'s
 * sliding window) rounds the previous minute's count down and so lets a client that spent its
 * budget just before a minute boundary make more reads just after it; the log has no boundaries.
 * A read reserves its place in one call before its load (check and count in one step, so
 * concurrent reads cannot all pass one check) and gives it back when it found something. The log
 * holds at most N members per client, plus the reads that went ahead without a reservation, and
 * expires with the window.
 *
 * @module
 */
import type { RedisPort } from "lease-cache";
import { ABSENT_READ_LOG, runScript } from "../redis-scripts";

/** A client's standing after a call: `remaining` places, and when (ms) one frees up if none is left. */
export type LogStanding = { remaining: number; reset: number };

/** The answer to {@link ReadLog.reserve}: whether the read got a place, and its member. */
export type Reservation = LogStanding & { granted: boolean; member: string };

/** Per-client logs of reads within a sliding window. */
export type ReadLog = {
  /** Logs a read of `client` only while it has a place left. */
  reserve(client: string): Promise<Reservation>;
  /** Logs a read of `client` in any case (one that went ahead without a reservation). */
  record(client: string): Promise<LogStanding>;
  /** Gives a reserved place back (the read found something). */
  release(client: string, member: string): Promise<void>;
};

/** Options of {@link slidingReadLog}. */
export type SlidingReadLogOptions = {
  redis: RedisPort;
  /** Key prefix; a client's log is `<prefix>:<client>`. */
  prefix: string;
  /** Reads allowed per window. */
  limit: number;
  /** @default 60_000 */
  windowMs?: number;
  /** Each call gives up (rejects) after this many ms. */
  timeoutMs: number;
  /** @default Date.now */
  now?: () => number;
};

type Mode = "reserve" | "record" | "release";

/** A {@link ReadLog} over `opts.redis`: one script call per method call. */
export function slidingReadLog(opts: SlidingReadLogOptions): ReadLog {
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const call = async (client: string, mode: Mode, member: string) => {
    const at = now();
    const reply = await runScript(
      opts.redis,
      ABSENT_READ_LOG,
      [`${opts.prefix}:${client}`],
      [String(at), String(windowMs), String(opts.limit), mode, member],
      AbortSignal.timeout(opts.timeoutMs),
    );
    return replyOf(reply, opts.limit, at);
  };
  const newMember = () => `${now()}:${crypto.randomUUID()}`;
  return {
    async reserve(client) {
      const member = newMember();
      const { logged, ...standing } = await call(client, "reserve", member);
      return { ...standing, granted: logged, member };
    },
    async record(client) {
      const { logged: _, ...standing } = await call(client, "record", newMember());
      return standing;
    },
    async release(client, member) {
      await call(client, "release", member);
    },
  };
}

function replyOf(reply: unknown, limit: number, now: number): LogStanding & { logged: boolean } {
  if (!Array.isArray(reply) || !reply.slice(0, 3).every((n) => typeof n === "number")) {
    throw new Error(`absentReadLog: unexpected reply ${JSON.stringify(reply)}`);
  }
  const [logged, count, freesAt] = reply as [number, number, number];
  return {
    logged: logged === 1,
    remaining: Math.max(0, limit - count),
    reset: freesAt === 0 ? now : freesAt,
  };
}
