/**
 * The one error type of the HTTP layer. Every failure a client can see is an {@link AppError} with a
 * code from the contract's closed list; `onError` (`./on-error.ts`) turns it into the envelope.
 *
 * @module
 */
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The contract's error codes (docs/api.md, "Errors"), in the order of its table. */
export const ERROR_CODES = [
  "invalid_id",
  "validation_failed",
  "invalid_json",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "precondition_failed",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "service_unavailable",
  "internal",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One entry of `error.details`: which input was wrong and why. */
export type ErrorDetail = { path: string; code: string; message: string };

/** The HTTP status of each code. Exhaustive: a new code does not compile until it has a status. */
export function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case "invalid_id":
    case "validation_failed":
    case "invalid_json":
      return 400;
    case "unauthorized":
      return 401;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "precondition_failed":
      return 412;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "rate_limited":
      return 429;
    case "service_unavailable":
      return 503;
    case "internal":
      return 500;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** Options of {@link AppError}. */
export type AppErrorOptions = {
  /** Per-field problems, for `validation_failed`. @default [] */
  details?: ErrorDetail[];
  /** Response headers that belong to the error (`Allow`, `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** The underlying error, logged but never sent. */
  cause?: unknown;
};

/** A client-visible failure. `message` is sent as is, so it must never contain internals. */
export class AppError extends HTTPException {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(statusOf(code), { message, cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }
}
