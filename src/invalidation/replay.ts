/**
 * Replays the invalidations of recent writes: what protects the cache when Redis loses data or
 * comes back with older data (a restart from a snapshot, a failover to a replica that missed
 * writes). Every write applied within the retention window (the lifetime of a cached entry) is
 * applied again in replay mode: an entry older than the write becomes a tombstone, groups get new
 * generations, the watermark is restored; anything as new as the write is left alone, so replaying
 * a Redis that lost nothing costs no misses on products and review lists.
 *
 * It runs in the Cron job every minute (so no entry an acknowledged write invalidated is served for
 * more than a minute after Redis comes back), and at once when a read notices a lower watermark
 * than its isolate saw (`onRegression`).
 *
 * @module
 */
import type { CacheAside } from "lease-cache";
import type { Db } from "../db/client";
import { lastOutboxId, mergeOutboxRows, recentlyAppliedRows } from "../db/outbox";
import { toCacheTarget } from "./outbox-target";

/** Rows per Redis call of a replay. */
const REPLAY_BATCH_ROWS = 200;

/** What {@link replayRecentInvalidations} did. */
export type ReplayReport = { rows: number; calls: number };

/**
 * Replays every invalidation applied within the last `windowSeconds`.
 * @param windowSeconds the retention window: the cache's TTL plus its stale window
 */
export async function replayRecentInvalidations(
  db: Db,
  cache: CacheAside,
  windowSeconds: number,
): Promise<ReplayReport> {
  const report: ReplayReport = { rows: 0, calls: 0 };
  // @mutation-point replay.entry
  let afterId = 0;
  for (;;) {
    const rows = await recentlyAppliedRows(db, windowSeconds, REPLAY_BATCH_ROWS, afterId);
    const last = rows.at(-1);
    if (last === undefined) {
      break;
    }
    await cache.invalidate(toCacheTarget(mergeOutboxRows(rows)), { replay: true });
    report.rows += rows.length;
    report.calls += 1;
    afterId = last.id;
  }
  // Restore the watermark even when nothing is left to replay, so isolates stop reporting.
  await cache.invalidate({ writeId: await lastOutboxId(db) }, { replay: true });
  report.calls += 1;
  return report;
}
