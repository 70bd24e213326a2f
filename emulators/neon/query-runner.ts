/**
 * Runs `/sql` requests against Postgres the way Neon's proxy does: one statement per query over the
 * extended protocol, text parameters, raw text results with field metadata.
 */
import type pg from "pg";
import { isDatabaseError } from "./neon-error";

/** One query of a request body, parameters already PostgreSQL text (or `null`). */
export type SqlQuery = { query: string; params: (string | null)[] };

/** Field metadata as Neon returns it. */
export type NeonField = {
  name: string;
  dataTypeID: number;
  tableID: number;
  columnID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
  format: "text";
};

/** The 200 body of a single query (and each element of a batch's `results`). */
export type NeonQueryResult = {
  fields: NeonField[];
  rows: (string | null)[][];
  command: string;
  /** `null` when the command tag carries no count (DDL, `BEGIN`, …). */
  rowCount: number | null;
  rowAsArray: true;
};

/** Batch transaction options, from the `Neon-Batch-*` headers. */
export type BatchOptions = {
  isolationLevel?: "ReadUncommitted" | "ReadCommitted" | "RepeatableRead" | "Serializable";
  readOnly?: boolean;
  deferrable?: boolean;
};

const ISOLATION_SQL: Record<NonNullable<BatchOptions["isolationLevel"]>, string> = {
  ReadUncommitted: "READ UNCOMMITTED",
  ReadCommitted: "READ COMMITTED",
  RepeatableRead: "REPEATABLE READ",
  Serializable: "SERIALIZABLE",
};

// Every value stays the exact text Postgres sent; the driver parses it by dataTypeID.
const rawText = (value: string): string => value;
const IDENTITY_TYPES = { getTypeParser: () => rawText } as unknown as pg.CustomTypesConfig;

/** Runs one statement on `client` and shapes the result like Neon. */
export async function runQuery(client: pg.ClientBase, q: SqlQuery): Promise<NeonQueryResult> {
  // `queryMode` is honoured by pg 8.23 but missing from @types/pg.
  const config = {
    text: q.query,
    values: q.params,
    rowMode: "array" as const,
    types: IDENTITY_TYPES,
    queryMode: "extended",
  };
  const result = await client.query<(string | null)[]>(config);
  return {
    fields: result.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    })),
    rows: result.rows,
    command: result.command ?? "",
    rowCount: typeof result.rowCount === "number" ? result.rowCount : null,
    rowAsArray: true,
  };
}

/** The `BEGIN` statement for a batch. */
export function beginSql(options: BatchOptions): string {
  const parts = ["BEGIN"];
  if (options.isolationLevel) {
    parts.push(`ISOLATION LEVEL ${ISOLATION_SQL[options.isolationLevel]}`);
  }
  if (options.readOnly !== undefined) {
    parts.push(options.readOnly ? "READ ONLY" : "READ WRITE");
  }
  if (options.deferrable !== undefined) {
    parts.push(options.deferrable ? "DEFERRABLE" : "NOT DEFERRABLE");
  }
  return parts.join(" ");
}

/**
 * Runs a single query on a pooled connection. A session left inside a transaction (a bare `BEGIN`)
 * is discarded rather than returned to the pool, which rolls it back.
 */
export async function runSingle(pool: pg.Pool, q: SqlQuery): Promise<NeonQueryResult> {
  const client = await pool.connect();
  let discard = false;
  try {
    const result = await runQuery(client, q);
    discard = client.getTransactionStatus() !== "I";
    return result;
  } catch (err: unknown) {
    discard = !isDatabaseError(err) || client.getTransactionStatus() !== "I";
    throw err;
  } finally {
    client.release(discard);
  }
}

/**
 * Runs `queries` in one transaction and commits. On the first error the transaction is rolled back
 * and that error is thrown; no partial results are returned.
 */
export async function runBatch(
  pool: pg.Pool,
  queries: readonly SqlQuery[],
  options: BatchOptions,
): Promise<NeonQueryResult[]> {
  const client = await pool.connect();
  let discard = false;
  try {
    await client.query(beginSql(options));
    const results: NeonQueryResult[] = [];
    for (const q of queries) {
      results.push(await runQuery(client, q));
    }
    await client.query("COMMIT");
    return results;
  } catch (err: unknown) {
    try {
      await client.query("ROLLBACK");
    } catch {
      discard = true;
    }
    discard ||= !isDatabaseError(err);
    throw err;
  } finally {
    client.release(discard);
  }
}
