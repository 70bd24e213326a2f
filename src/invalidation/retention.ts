/**
 * How long applied outbox rows are kept and replayed: the longest a cached entry can live (its TTL
 * plus the stale window, or a cached miss's TTL), after which nothing an old write invalidated can
 * come back from a Redis snapshot anyway.
 *
 * @module
 */
import type { Config } from "../env";

/** The retention window of applied outbox rows, in seconds. */
export function retentionSecondsOf(config: Config): number {
  return Math.max(config.CACHE_TTL_SECONDS + config.STALE_TTL_SECONDS, config.NEGATIVE_TTL_SECONDS);
}
