import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, isForeignKeyViolation, sqlStateOf } from "./errors";

/** Shaped like the Neon driver's error (its class is not exported under a stable name). */
function neonError(message: string, code?: string): Error {
  const err = new Error(message);
  err.name = "NeonDbError";
  return Object.assign(err, { code });
}

/** Shaped like Drizzle's DrizzleQueryError, which keeps the driver error as `cause`. */
const wrapped = (cause: unknown) => new Error("Failed query: select 1", { cause });

describe("isDatabaseUnavailable", () => {
  it("is true for transport failures, timeouts and connection-class SQLSTATEs", () => {
    expect(
      isDatabaseUnavailable(wrapped(neonError("Error connecting to database: fetch failed", ""))),
    ).toBe(true);
    expect(isDatabaseUnavailable(neonError("Server error (HTTP status 500): x"))).toBe(true);
    expect(isDatabaseUnavailable(new DOMException("timed out", "TimeoutError"))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(neonError("terminating connection", "57P01")))).toBe(true);
    expect(isDatabaseUnavailable(neonError("too many connections", "53300"))).toBe(true);
  });

  it("is false for query errors and for errors that are not the database's", () => {
    expect(isDatabaseUnavailable(wrapped(neonError("syntax error", "42601")))).toBe(false);
    expect(isDatabaseUnavailable(neonError("duplicate key", "23505"))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("x is undefined"))).toBe(false);
  });
});

describe("sqlStateOf / isForeignKeyViolation", () => {
  it("finds the SQLSTATE through the cause chain", () => {
    expect(sqlStateOf(wrapped(neonError("fk", "23503")))).toBe("23503");
    expect(isForeignKeyViolation(wrapped(neonError("fk", "23503")))).toBe(true);
    expect(isForeignKeyViolation(neonError("unique", "23505"))).toBe(false);
    expect(sqlStateOf("nope")).toBeUndefined();
  });
});
