/**
 * The Cron Trigger (`[triggers] crons` in wrangler.toml, every minute): applies invalidations whose
 * inline attempt and background retries failed, so no stale entry outlives a Redis outage by more
 * than about a minute.
 *
 * @module
 */

import { drainOutbox } from "../db/outbox";
import { parseEnv } from "../env";
import { createLogger, describeError } from "../log";
import { buildServices } from "../services";

/** The `scheduled` handler. */
export async function drainOutboxJob(env: unknown, ctx: ExecutionContext): Promise<void> {
  const logger = createLogger({ job: "outbox-drain" });
  const parsed = parseEnv(env);
  if (!parsed.ok) {
    logger.log("error", "outbox drain skipped: invalid Worker configuration", {
      problems: parsed.problems,
    });
    return;
  }
  const { db, cache } = buildServices(parsed.config, ctx, logger);
  try {
    const report = await drainOutbox({
      db,
      invalidate: async (target) => {
        await cache.invalidate(target);
      },
    });
    if (report.applied > 0 || report.failed > 0) {
      logger.log(report.failed > 0 ? "warn" : "info", "outbox drained", report);
    }
  } catch (err: unknown) {
    // Postgres down: nothing to drain from; the next run retries.
    logger.log("warn", "outbox drain failed", { error: describeError(err) });
  }
}
