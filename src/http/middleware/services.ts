/**
 * Puts the request's {@link Services} on the context, built once per request (after `config`
 * validated the env).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { buildServices } from "../../services";
import type { AppEnv } from "../types";

/** The services middleware. */
export function services(): MiddlewareHandler<AppEnv> {
  return async function services(c, next) {
    c.set("services", buildServices(c.get("config"), c.executionCtx));
    await next();
  };
}
