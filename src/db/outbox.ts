/**
 * The invalidation outbox. A write records the cache entries it must invalidate, with the revision
 * it produced, in the same transaction as the change, so a committed change can never lose its
 * invalidation: the row is marked applied only after Redis confirmed it, and the Cron drain
 * retries whatever is not. Applied rows are kept for a retention window (the lifetime of a cached
 * entry) so their invalidations can be replayed when Redis loses data or comes back with older
 * data, then pruned.
 *
 * @module
 */
import {
  and,
  asc,
  getTableName,
  gt,
  inArray,
  isNotNull,
  isNull,
  lt,
  type SQL,
  sql,
} from "drizzle-orm";
import type { Db } from "./client";
import type { InvalidationTarget } from "./models";
import { outbox } from "./schema";

/** An invalidation as the outbox holds it (rows merged): what the cache must apply. */
export type OutboxInvalidation = {
  /** Versioned entries with the highest revision any merged row produced for them. */
  versioned: { key: string; rev: number }[];
  /** Entries recorded without a revision. */
  unversioned: string[];
  groups: string[];
  /** The highest outbox id among the merged rows (the watermark). */
  writeId: number;
};

/**
 * Inserts the outbox row unconditionally (for writes that always change something). `rev` is the
 * revision the write produced for the target's keys (read in the same transaction, after the bump).
 */
export function insertOutboxRow(db: Db, target: InvalidationTarget, rev: SQL<number>) {
  return db
    .insert(outbox)
    .values({ keys: target.keys, groups: target.groups, rev })
    .returning({ id: outbox.id, rev: outbox.rev });
}

/**
 * Inserts the outbox row only when `condition` holds, in the same transaction as the write that
 * is guarded by the same condition (the caller locks the row first, so both see the same state).
 * A write that changes nothing (404, 412) therefore leaves no outbox row behind.
 */
export function insertOutboxRowIf(
  db: Db,
  target: InvalidationTarget,
  rev: SQL<number>,
  condition: SQL,
) {
  return db.execute<{ id: string; rev: string }>(sql`
    INSERT INTO ${outbox} (${sql.identifier(outbox.keys.name)}, ${sql.identifier(outbox.groups.name)}, ${sql.identifier(outbox.rev.name)})
    SELECT ${sql.param(target.keys)}::text[], ${sql.param(target.groups)}::text[], ${rev}
    WHERE ${condition}
    RETURNING ${sql.identifier(outbox.id.name)}, ${sql.identifier(outbox.rev.name)}`);
}

/** Marks outbox rows whose invalidation Redis confirmed. */
export async function markOutboxApplied(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) {
    await db
      .update(outbox)
      .set({ appliedAt: sql`now()` })
      .where(inArray(outbox.id, [...ids]));
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

type OutboxRecord = { id: number; keys: string[]; groups: string[]; rev: number | null };

const recordColumns = { id: outbox.id, keys: outbox.keys, groups: outbox.groups, rev: outbox.rev };

/** The oldest outbox rows not applied yet, at most `limit`. */
export function pendingOutboxRows(db: Db, limit: number): Promise<OutboxRecord[]> {
  return db
    .select(recordColumns)
    .from(outbox)
    .where(isNull(outbox.appliedAt))
    .orderBy(asc(outbox.id))
    .limit(limit);
}

/** Rows applied within the last `windowSeconds`, oldest first, at most `limit`, after id `afterId`. */
export function recentlyAppliedRows(
  db: Db,
  windowSeconds: number,
  limit: number,
  afterId = 0,
): Promise<OutboxRecord[]> {
  return db
    .select(recordColumns)
    .from(outbox)
    .where(
      and(
        isNotNull(outbox.appliedAt),
        gt(outbox.appliedAt, sql`now() - make_interval(secs => ${windowSeconds})`),
        gt(outbox.id, afterId),
      ),
    )
    .orderBy(asc(outbox.id))
    .limit(limit);
}

/** The highest outbox id ever assigned (0 before the first write): the watermark a replay restores. */
export async function lastOutboxId(db: Db): Promise<number> {
  const rows = await db.execute<{ last: string | null }>(
    sql`SELECT pg_sequence_last_value(pg_get_serial_sequence(${getTableName(outbox)}, ${outbox.id.name})) AS last`,
  );
  return Number(rows.rows[0]?.last ?? 0);
}

/** Deletes applied rows older than `windowSeconds` (they can no longer matter). */
export async function pruneOutbox(db: Db, windowSeconds: number): Promise<number> {
  const deleted = await db
    .delete(outbox)
    .where(
      and(
        isNotNull(outbox.appliedAt),
        lt(outbox.appliedAt, sql`now() - make_interval(secs => ${windowSeconds})`),
      ),
    )
    .returning({ id: outbox.id });
  return deleted.length;
}

/** Merges rows into one invalidation: highest revision per key, every group, highest id. */
export function mergeOutboxRows(rows: readonly OutboxRecord[]): OutboxInvalidation {
  const revs = new Map<string, number>();
  const unversioned = new Set<string>();
  const groups = new Set<string>();
  let writeId = 0;
  for (const row of rows) {
    writeId = Math.max(writeId, row.id);
    for (const group of row.groups) {
      groups.add(group);
    }
    for (const key of row.keys) {
      if (row.rev === null) {
        unversioned.add(key);
      } else {
        revs.set(key, Math.max(revs.get(key) ?? 0, row.rev));
      }
    }
  }
  return {
    versioned: [...revs].map(([key, rev]) => ({ key, rev })),
    unversioned: [...unversioned],
    groups: [...groups],
    writeId,
  };
}

/** What one {@link drainOutbox} run did. */
export type DrainReport = { applied: number; failed: number };

/** Options of {@link drainOutbox}. */
export type DrainOptions = {
  db: Db;
  /** Applies an invalidation in one Redis call; rejects when it could not be applied. */
  invalidate(invalidation: OutboxInvalidation): Promise<void>;
  /** Rows per Redis call. @default 100 */
  batchSize?: number;
  /** Most batches per run, so one run stays well inside a Cron invocation's budget. @default 10 */
  maxBatches?: number;
};

/**
 * Applies pending outbox rows: per batch, ONE invalidation covering every row's keys and groups
 * (re-applying one is harmless), then marks the rows applied. Stops at the first failed
 * invalidation (Redis is likely down; the next run retries).
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
    try {
      await opts.invalidate(mergeOutboxRows(rows));
    } catch {
      report.failed += rows.length;
      await markOutboxAttempt(opts.db, ids);
      break;
    }
    await markOutboxApplied(opts.db, ids);
    report.applied += rows.length;
    if (rows.length < batchSize) {
      break;
    }
  }
  return report;
}
