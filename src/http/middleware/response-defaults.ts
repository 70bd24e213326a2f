/**
 * Headers every response gets unless a handler chose otherwise: `Cache-Control: no-store` (only
 * cached reads say `no-cache`, docs/api.md "Headers") and `X-Content-Type-Options: nosniff`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../types";

/** Runs first, so it also post-processes error responses. */
export function responseDefaults(): MiddlewareHandler<AppEnv> {
  return async function responseDefaults(c, next) {
    await next();
    if (!c.res.headers.has("Cache-Control")) {
      c.res.headers.set("Cache-Control", "no-store");
    }
    c.res.headers.set("X-Content-Type-Options", "nosniff");
  };
}
