/**
 * CORS from `CORS_ORIGINS` (comma-separated origins; `*` only when configured so). Preflights are
 * answered for the API's methods with an explicit header allow-list; the headers a browser client
 * needs to read are exposed. No credentials: writes authenticate with a bearer token, not cookies.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { Config } from "../../env";
import type { AppEnv } from "../types";

/** Methods answered in preflights. */
export const CORS_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "POST", "OPTIONS"];
/** Request headers a browser may send. */
export const CORS_ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "If-Match",
  "If-None-Match",
  "Bookmark",
];
/** Response headers a browser may read. */
export const CORS_EXPOSE_HEADERS = [
  "ETag",
  "X-Cache",
  "Server-Timing",
  "Location",
  "Bookmark",
  "X-Request-Id",
  "Retry-After",
];
/** How long a browser may cache a preflight, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/** Parses `CORS_ORIGINS`: trimmed, empty entries dropped. */
export function parseOrigins(value: string): string[] {
  return value
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
}

/** The allowed origin for a request's `Origin`, or `null` (no `Access-Control-Allow-Origin`). */
export function allowedOrigin(origin: string, configured: readonly string[]): string | null {
  if (configured.includes("*")) {
    return "*";
  }
  return origin !== "" && configured.includes(origin) ? origin : null;
}

/** The CORS middleware, configured per request from the validated config. */
export function cors(): MiddlewareHandler<AppEnv> {
  return honoCors({
    origin: (origin, c) => {
      // hono types this context loosely; the config middleware ran before this one.
      const config: Config = c.get("config");
      return allowedOrigin(origin, parseOrigins(config.CORS_ORIGINS));
    },
    allowMethods: CORS_METHODS,
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
  });
}
