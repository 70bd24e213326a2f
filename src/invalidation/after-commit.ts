/**
 * What happens after a write committed: apply its effects on the cache in one Redis call (the
 * written state stored at once, locks deleted, pages voided), then mark its outbox row applied. A
 * failed invalidation never fails the write (Postgres committed; that is the acknowledgement): it
 * is retried in the background and, failing that, by the Cron drain. The marks of an isolate's
 * writes go to Postgres in batches (`applied-marks.ts`).
 *
 * @module
 */
import type { InvalidationTarget } from "lease-cache";
import { markOutboxApplied, markOutboxAttempt } from "../db/outbox";
import { describeError } from "../log";
import type { Services } from "../services";
import { AppliedMarks } from "./applied-marks";

/** Background retry delays after a failed inline invalidation, in ms; then the Cron drain takes over. */
export const INVALIDATION_RETRY_DELAYS_MS: readonly number[] = [100, 1000, 5000];

/** What {@link invalidateAfterCommit} did inline. */
export type InvalidationReport = {
  applied: boolean;
  cacheMs: number;
  /** Redis's read-your-writes position after the call (for the write's bookmark), when tracked. */
  syncToken?: string;
};

type Deps = Pick<Services, "db" | "cache" | "background" | "logger">;

/** Options of {@link invalidateAfterCommit}. */
export type InvalidateOptions = {
  /** Delays of the background retries. @default INVALIDATION_RETRY_DELAYS_MS */
  retryDelaysMs?: readonly number[];
  /** @default setTimeout-based sleep */
  sleep?: (ms: number) => Promise<void>;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// The isolate's batches of applied marks: they gather the rows of concurrent requests.
const isolateMarks = new AppliedMarks();

/**
 * Applies `target` once inline (the write's response waits for it, which is what makes
 * read-after-write hold while Redis is reachable); on success the outbox row is marked applied in
 * the background, on failure the background retries and leaves the row to the Cron drain.
 */
export async function invalidateAfterCommit(
  deps: Deps,
  target: InvalidationTarget,
  outboxId: number,
  opts: InvalidateOptions = {},
): Promise<InvalidationReport> {
  const started = Date.now();
  try {
    const report = await deps.cache.invalidate(target);
    deps.background.waitUntil(markAppliedInBatch(deps, outboxId));
    return {
      applied: true,
      cacheMs: Date.now() - started,
      ...(report.syncToken === undefined ? {} : { syncToken: report.syncToken }),
    };
  } catch (err: unknown) {
    deps.logger.log("warn", "invalidation failed; retrying in the background", {
      outboxId,
      error: describeError(err),
    });
    deps.background.waitUntil(retryInBackground(deps, target, outboxId, opts));
    return { applied: false, cacheMs: Date.now() - started };
  }
}

async function markAppliedInBatch(deps: Deps, outboxId: number): Promise<void> {
  const outcome = await isolateMarks.mark(outboxId, (ids) => markOutboxApplied(deps.db, ids));
  // The write that opened the batch reports its failure, once for all its rows.
  if (outcome?.error !== undefined && outcome.ids[0] === outboxId) {
    deps.logger.log("warn", "could not mark applied outbox rows", {
      outboxIds: outcome.ids,
      error: describeError(outcome.error),
    });
  }
}

async function markApplied(deps: Deps, outboxId: number): Promise<void> {
  try {
    await markOutboxApplied(deps.db, [outboxId]);
  } catch (err: unknown) {
    // The row stays pending; the Cron drain re-applies it (harmless) and marks it.
    deps.logger.log("warn", "could not mark an applied outbox row", {
      outboxId,
      error: describeError(err),
    });
  }
}

async function retryInBackground(
  deps: Deps,
  target: InvalidationTarget,
  outboxId: number,
  opts: InvalidateOptions,
): Promise<void> {
  const sleep = opts.sleep ?? defaultSleep;
  for (const delay of opts.retryDelaysMs ?? INVALIDATION_RETRY_DELAYS_MS) {
    await sleep(delay);
    try {
      // The written state is still safe to store late: Redis keeps whatever is newer.
      await deps.cache.invalidate(target);
      await markApplied(deps, outboxId);
      return;
    } catch {
      // Keep trying; the last failure is reported below.
    }
  }
  deps.logger.log("warn", "invalidation still failing; left to the Cron drain", { outboxId });
  await markOutboxAttempt(deps.db, [outboxId]).catch(() => {});
}
