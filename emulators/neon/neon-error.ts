/**
 * The JSON error object Neon's `/sql` endpoint answers with, built from node-postgres errors.
 */
import pg from "pg";

/** The 17 fields of Neon's error body; absent values are `null`. */
export type NeonErrorBody = {
  message: string;
  code: string;
  detail: string | null;
  hint: string | null;
  position: string | null;
  internalPosition: string | null;
  internalQuery: string | null;
  severity: string | null;
  where: string | null;
  table: string | null;
  column: string | null;
  schema: string | null;
  dataType: string | null;
  constraint: string | null;
  file: string | null;
  line: string | null;
  routine: string | null;
};

const OPTIONAL_FIELDS = [
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "severity",
  "where",
  "table",
  "column",
  "schema",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

/** An error body with every optional field `null`; `code` "" marks a non-database error. */
export function plainErrorBody(message: string, code = ""): NeonErrorBody {
  const body = { message, code } as NeonErrorBody;
  for (const field of OPTIONAL_FIELDS) {
    body[field] = null;
  }
  return body;
}

/** True for an error the Postgres server sent (as opposed to a network or client failure). */
export function isDatabaseError(err: unknown): err is pg.DatabaseError {
  return err instanceof pg.DatabaseError;
}

/** The body for a Postgres error, copying every field the server reported. */
export function databaseErrorBody(err: pg.DatabaseError): NeonErrorBody {
  const body = plainErrorBody(err.message, err.code ?? "");
  for (const field of OPTIONAL_FIELDS) {
    body[field] = err[field] ?? null;
  }
  return body;
}
