/**
 * The invalidation outbox. A write records the cache entries it must invalidate in the same
 * transaction as the change, so a committed change can never lose its invalidation: the row is
 * deleted only after Redis confirmed it, and the Cron drain retries whatever is left.
 *
 * @module
 */
import { asc, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client";
import type { InvalidationTarget } from "./models";
import { outbox } from "./schema";

/** Inserts the outbox row unconditionally (for writes that always change something). */
export function insertOutboxRow(db: Db, target: InvalidationTarget) {
  return db
    .insert(outbox)
    .values({ keys: target.keys, groups: target.groups })
    .returning({ id: outbox.id });
}

/**
 * Inserts the outbox row only when `condition` holds, in the same transaction as the write that
 * is guarded by the same condition (the caller locks the row first, so both see the same state).
 * A write that changes nothing (404, 412) therefore leaves no outbox row behind.
 */
export function insertOutboxRowIf(db: Db, target: InvalidationTarget, condition: SQL) {
  return db.execute<{ id: string }>(sql`
    INSERT INTO ${outbox} (${sql.identifier(outbox.keys.name)}, ${sql.identifier(outbox.groups.name)})
    SELECT ${sql.param(target.keys)}::text[], ${sql.param(target.groups)}::text[]
    WHERE ${condition}
    RETURNING ${sql.identifier(outbox.id.name)}`);
}

/** Deletes outbox rows whose invalidation Redis confirmed. */
export async function deleteOutboxRows(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) {
    await db.delete(outbox).where(inArray(outbox.id, [...ids]));
  }
}

/** Counts a failed attempt on outbox rows (for observability; the rows stay for the next drain). */
export async function markOutboxAttempt(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) {
    await db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1` })
      .where(inArray(outbox.id, [...ids]));
  }
}

/** The oldest pending outbox rows, at most `limit`. */
export function pendingOutboxRows(db: Db, limit: number) {
  return db
    .select({ id: outbox.id, keys: outbox.keys, groups: outbox.groups })
    .from(outbox)
    .orderBy(asc(outbox.id))
    .limit(limit);
}

/** What one {@link drainOutbox} run did. */
export type DrainReport = { applied: number; failed: number };

/** Options of {@link drainOutbox}. */
export type DrainOptions = {
  db: Db;
  /** Applies an invalidation in one Redis call; rejects when it could not be applied. */
  invalidate(target: InvalidationTarget): Promise<void>;
  /** Rows per Redis call. @default 100 */
  batchSize?: number;
  /** Most batches per run, so one run stays well inside a Cron invocation's budget. @default 10 */
  maxBatches?: number;
};

/**
 * Applies pending outbox rows: per batch, ONE invalidation covering every row's keys and groups
 * (deleting a key twice or bumping a generation once more is harmless), then deletes the rows.
 * Stops at the first failed invalidation (Redis is likely down; the next run retries).
 */
export async function drainOutbox(opts: DrainOptions): Promise<DrainReport> {
  const batchSize = opts.batchSize ?? 100;
  const maxBatches = opts.maxBatches ?? 10;
  const report: DrainReport = { applied: 0, failed: 0 };
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = await pendingOutboxRows(opts.db, batchSize);
    if (rows.length === 0) {
      break;
    }
    const ids = rows.map((r) => r.id);
    const target: InvalidationTarget = {
      keys: [...new Set(rows.flatMap((r) => r.keys))],
      groups: [...new Set(rows.flatMap((r) => r.groups))],
    };
    try {
      await opts.invalidate(target);
    } catch {
      report.failed += rows.length;
      await markOutboxAttempt(opts.db, ids);
      break;
    }
    await deleteOutboxRows(opts.db, ids);
    report.applied += rows.length;
    if (rows.length < batchSize) {
      break;
    }
  }
  return report;
}
