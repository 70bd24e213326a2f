/**
 * The absent-id budget's counter: per client, a sliding log in Redis of the reads that reached
 * Postgres and found nothing ({@link ABSENT_READ_LOG}), so "at most N per minute" holds in every
 * 60 s, not only per calendar minute. A weighted two-window estimate (`@upstash/ratelimit`'s
 * sliding window) rounds the previous minute's count down and so lets a client that spent its
 * budget just before a minute boundary make more reads just after it; the log has no boundaries.
 * It holds at most about N members per client (a few more when reads race), and expires with
 * the window.
 *
 * @module
 */
import type { RedisPort } from "lease-cache";
import { ABSENT_READ_LOG, runScript } from "../redis-scripts";

/** What a client has left: `remaining` reads, and when (ms) one frees up if none is left. */
export type LogStanding = { remaining: number; reset: number };

/** Per-client counts of reads within a sliding window. */
export type ReadLog = {
  /** The client's standing, without logging a read. */
  getRemaining(client: string): Promise<LogStanding>;
  /** Logs one read of the client and returns its standing after it. */
  limit(client: string): Promise<LogStanding>;
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

/** A {@link ReadLog} over `opts.redis`: one script call per method call. */
export function slidingReadLog(opts: SlidingReadLogOptions): ReadLog {
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const call = async (client: string, member: string): Promise<LogStanding> => {
    const reply = await runScript(
      opts.redis,
      ABSENT_READ_LOG,
      [`${opts.prefix}:${client}`],
      [String(now()), String(windowMs), String(opts.limit), member],
      AbortSignal.timeout(opts.timeoutMs),
    );
    return standingOf(reply, opts.limit, now());
  };
  return {
    getRemaining: (client) => call(client, ""),
    limit: (client) => call(client, `${now()}:${crypto.randomUUID()}`),
  };
}

function standingOf(reply: unknown, limit: number, now: number): LogStanding {
  if (!Array.isArray(reply) || typeof reply[0] !== "number" || typeof reply[1] !== "number") {
    throw new Error(`absentReadLog: unexpected reply ${JSON.stringify(reply)}`);
  }
  const [count, freesAt] = reply as [number, number];
  return { remaining: Math.max(0, limit - count), reset: freesAt === 0 ? now : freesAt };
}
