/**
 * `X-Request-Id` on every response: the request's own id when it is sane (letters, digits, `_`,
 * `-`, `=`; at most {@link REQUEST_ID_MAX_LENGTH} characters), a fresh UUID otherwise. The id is on
 * the context as `requestId`, in every log line of the request and in the error envelope.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import type { AppEnv } from "../types";

/** The longest request id taken from a client. */
export const REQUEST_ID_MAX_LENGTH = 64;

/** The request-id middleware; runs first, so every response carries the header. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return honoRequestId({ limitLength: REQUEST_ID_MAX_LENGTH, headerName: "X-Request-Id" });
}
