/**
 * The Cron Trigger (`[triggers] crons` in wrangler.toml, every minute), three steps:
 * 1. drain: applies invalidations whose inline attempt and background retries failed, so no stale
 *    entry outlives a Redis outage by more than about a minute;
 * 2. replay: applies again every invalidation of the retention window, so an entry brought back by
 *    a Redis that lost data or returned with older data is not served for more than a minute;
 * 3. prune: deletes applied rows older than the retention window.
 *
 * @module
 */
import type { CacheAside } from "lease-cache";
import type { Db } from "../db/client";
import { drainOutbox, pruneOutbox } from "../db/outbox";
import { parseEnv } from "../env";
import { createLogger, describeError, type Logger } from "../log";
import { buildServices } from "../services";
import { toCacheTarget } from "./outbox-target";
import { replayRecentInvalidations } from "./replay";
import { retentionSecondsOf } from "./retention";

/** The `scheduled` handler. */
export async function drainOutboxJob(env: unknown, ctx: ExecutionContext): Promise<void> {
  const logger = createLogger({ job: "outbox" });
  const parsed = parseEnv(env);
  if (!parsed.ok) {
    logger.log("error", "outbox job skipped: invalid Worker configuration", {
      problems: parsed.problems,
    });
    return;
  }
  const { db, cache } = buildServices(parsed.config, ctx, logger);
  await runOutboxJob(db, cache, retentionSecondsOf(parsed.config), logger);
}

/** Drain, replay, prune; each step's failure is logged and leaves the rest to the next run. */
export async function runOutboxJob(
  db: Db,
  cache: CacheAside,
  retentionSeconds: number,
  logger: Logger,
): Promise<void> {
  try {
    const report = await drainOutbox({
      db,
      invalidate: async (invalidation) => {
        await cache.invalidate(toCacheTarget(invalidation));
      },
    });
    if (report.applied > 0 || report.failed > 0) {
      logger.log(report.failed > 0 ? "warn" : "info", "outbox drained", report);
    }
    if (report.failed > 0) {
      return; // Redis is unusable: replaying now would fail too.
    }
    const replayed = await replayRecentInvalidations(db, cache, retentionSeconds);
    const pruned = await pruneOutbox(db, retentionSeconds);
    if (replayed.rows > 0 || pruned > 0) {
      logger.log("info", "outbox replayed and pruned", { ...replayed, pruned });
    }
  } catch (err: unknown) {
    // Postgres or Redis down: nothing to do now; the next run retries.
    logger.log("warn", "outbox job failed", { error: describeError(err) });
  }
}
