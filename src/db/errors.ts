/**
 * Classifies errors thrown by the Neon HTTP driver (possibly wrapped by Drizzle's
 * `DrizzleQueryError`, which keeps the driver's error as `cause`).
 *
 * @module
 */

/** SQLSTATE classes that mean "the database cannot serve us right now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set([
  "08", // connection exception
  "53", // insufficient resources (too many connections, out of memory, disk full)
  "57", // operator intervention (admin shutdown, cannot connect now, statement timeout)
  "58", // system error (I/O)
]);

/** The SQLSTATE (`"23503"`…) of the first error in the `cause` chain that carries one. */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (typeof e !== "object") {
      return undefined;
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      return code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * `true` when `err` says Postgres (or the path to it) is unavailable: the request never reached it
 * (network error, timeout), the proxy answered a non-database error (HTTP 5xx, connection failure)
 * or Postgres reported a connection-class SQLSTATE. A query error with an ordinary SQLSTATE (a bug,
 * a constraint) is not "unavailable".
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = sqlStateOf(err);
  if (code !== undefined) {
    return UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2));
  }
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    // NeonDbError is the driver's error class; without a SQLSTATE it is a transport-level failure
    // ("Error connecting to database", "Server error (HTTP status 5xx)", an aborted fetch).
    if (e.name === "NeonDbError" || e.name === "AbortError" || e.name === "TimeoutError") {
      return true;
    }
    e = e.cause;
  }
  return false;
}

/** `true` when `err` is a foreign-key violation (SQLSTATE 23503), e.g. a review of an absent product. */
export function isForeignKeyViolation(err: unknown): boolean {
  return sqlStateOf(err) === "23503";
}
