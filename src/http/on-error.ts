/**
 * The single place error responses are built: `app.onError` and `app.notFound` both end here, so
 * every error has the contract's envelope `{ "error": { code, message, details, requestId } }`.
 *
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isDatabaseUnavailable } from "../db/errors";
import { describeError, log } from "../log";
import { AppError, type ErrorCode } from "./errors";
import type { AppEnv } from "./types";

/** Seconds a client should wait after a `503` before retrying. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 2;

/** The JSON body of every error response. */
export type ErrorBody = {
  error: { code: ErrorCode; message: string; details: AppError["details"]; requestId: string };
};

/**
 * Maps anything thrown to the {@link AppError} the client sees. Unknown errors become `internal`.
 * @param write whether the request was a write: when Postgres fails mid-write the driver cannot
 *   tell "never arrived" from "committed, reply lost", so the message says the outcome is unknown.
 *   @default false
 */
export function toAppError(err: unknown, write = false): AppError {
  if (err instanceof AppError) {
    return err;
  }
  if (isDatabaseUnavailable(err)) {
    const message = write
      ? "the database did not confirm the write; it may or may not have been applied, read the resource before retrying"
      : "the database is unavailable, retry later";
    return new AppError("service_unavailable", message, {
      headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
      cause: err,
    });
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own exceptions (none are expected: every middleware here throws AppError) keep their
    // status class but never their message, which may echo input.
    return new AppError(
      err.status === 413 ? "payload_too_large" : "validation_failed",
      "the request is invalid",
      { cause: err },
    );
  }
  return new AppError("internal", "internal error", { cause: err });
}

/** `app.onError`: logs what the client must not see, answers the envelope. */
export function handleError(err: unknown, c: Context<AppEnv>): Response {
  const appError = toAppError(err, !["GET", "HEAD", "OPTIONS"].includes(c.req.method));
  if (appError.code === "internal" || appError.code === "service_unavailable") {
    log(appError.code === "internal" ? "error" : "warn", "request failed", {
      requestId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      code: appError.code,
      error: describeError(appError.cause ?? err),
    });
  }
  const body: ErrorBody = {
    error: {
      code: appError.code,
      message: appError.message,
      details: appError.details,
      requestId: c.get("requestId"),
    },
  };
  // Success-only headers set before the failure must not describe the error response.
  c.header("ETag", undefined);
  c.header("Location", undefined);
  // Errors are never cached by anyone (a cached read's 404 included).
  c.header("Cache-Control", "no-store");
  return c.json(body, appError.status, appError.headers);
}

/** `app.notFound`: unknown routes, including extra path segments (`/products/x/y.css`). */
export function handleNotFound(c: Context<AppEnv>): Response {
  return handleError(new AppError("not_found", "no such route"), c);
}
