/**
 * What the bench runner (Node) and the bench Worker (workerd) say to each other: types only, so
 * both sides can import it without the other's runtime.
 */
import type { CacheOutcome } from "lease-cache";

/** The three read paths. */
export type BenchPath = "nocache" | "naive" | "core";

/** Round trips of one request that completed before its response was ready. */
export type CriticalCalls = { redis: number; postgres: number };

/** The answer to `GET /read/:path/:id`. */
export type ReadAnswer = {
  status: string;
  version: number | null;
  outcome?: CacheOutcome;
  /** When the handler started, ms since the epoch on the Worker's clock. */
  startedAt: number;
  serverMs: number;
  calls: CriticalCalls;
};

/** The answer to `POST /write/:path/:id` (`version` is `null` when the product does not exist). */
export type WriteAnswer = {
  version: number | null;
  startedAt: number;
  serverMs: number;
  calls: CriticalCalls;
};

/** Isolate-wide counters, as `GET /stats` reports them. */
export type IsolateStats = {
  /** Requests to the Upstash REST URL since the last reset (background included). */
  redis: number;
  /** Requests to the Neon `/sql` endpoint since the last reset (background included). */
  postgres: number;
  /** Other outbound requests (should stay 0). */
  other: number;
  /** Outbound requests in flight right now. */
  inflight: number;
  /** `waitUntil` promises not yet settled. */
  background: number;
  /** Bench requests handled since the last reset. */
  requests: number;
};
