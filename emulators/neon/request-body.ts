/**
 * Validates a `/sql` request: the JSON body (whatever its Content-Type) and the batch headers.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { BatchOptions, SqlQuery } from "./query-runner";

/** A parsed `/sql` body. */
export type SqlRequest =
  | { kind: "single"; query: SqlQuery }
  | { kind: "batch"; queries: SqlQuery[]; options: BatchOptions };

/** Thrown for a malformed request; answered as a 400 with code "". */
export class RequestError extends Error {
  override name = "RequestError";
}

const ISOLATION_LEVELS = new Set([
  "ReadUncommitted",
  "ReadCommitted",
  "RepeatableRead",
  "Serializable",
]);

/**
 * A JSON parameter as PostgreSQL text. The driver already sends strings or `null`; other JSON values
 * are converted the way Neon's proxy does (numbers/booleans verbatim, arrays as array literals,
 * objects as JSON text).
 */
export function paramToText(value: unknown): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === "string") {
    return value;
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => {
      const text = paramToText(item);
      if (text === null) {
        return "NULL";
      }
      // Nested arrays are already literals; everything else is quoted and escaped.
      return Array.isArray(item) ? text : `"${text.replace(/[\\"]/g, "\\$&")}"`;
    });
    return `{${items.join(",")}}`;
  }
  return JSON.stringify(value);
}

function parseQuery(raw: unknown): SqlQuery {
  if (typeof raw !== "object" || raw === null) {
    throw new RequestError('each query must be an object with a "query" string');
  }
  const { query, params } = raw as { query?: unknown; params?: unknown };
  if (typeof query !== "string") {
    throw new RequestError('"query" must be a string');
  }
  if (params !== undefined && params !== null && !Array.isArray(params)) {
    throw new RequestError('"params" must be an array');
  }
  return { query, params: (params ?? []).map(paramToText) };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The batch options carried by the `Neon-Batch-*` headers. */
export function parseBatchOptions(headers: IncomingHttpHeaders): BatchOptions {
  const options: BatchOptions = {};
  const isolation = headerValue(headers, "neon-batch-isolation-level");
  if (isolation !== undefined) {
    if (!ISOLATION_LEVELS.has(isolation)) {
      throw new RequestError("invalid isolation level");
    }
    options.isolationLevel = isolation as NonNullable<BatchOptions["isolationLevel"]>;
  }
  // As in Neon's proxy, only the exact text "true" counts as true.
  const readOnly = headerValue(headers, "neon-batch-read-only");
  if (readOnly !== undefined) {
    options.readOnly = readOnly === "true";
  }
  const deferrable = headerValue(headers, "neon-batch-deferrable");
  if (deferrable !== undefined) {
    options.deferrable = deferrable === "true";
  }
  return options;
}

/** Parses the body text and headers of a `/sql` request; throws {@link RequestError}. */
export function parseSqlRequest(bodyText: string, headers: IncomingHttpHeaders): SqlRequest {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw new RequestError("request body is not valid JSON");
  }
  if (typeof body === "object" && body !== null && "queries" in body) {
    const { queries } = body as { queries: unknown };
    if (!Array.isArray(queries)) {
      throw new RequestError('"queries" must be an array');
    }
    return { kind: "batch", queries: queries.map(parseQuery), options: parseBatchOptions(headers) };
  }
  return { kind: "single", query: parseQuery(body) };
}

/** The SQL texts of a request, for fault matching. */
export function sqlTexts(request: SqlRequest): string[] {
  return request.kind === "single" ? [request.query.query] : request.queries.map((q) => q.query);
}
