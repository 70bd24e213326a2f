/**
 * Puts the request's {@link Services} on the context, built once per request (after `config`
 * validated the env and `requestId` named the request).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createLogger } from "../../log";
import { buildServices } from "../../services";
import type { AppEnv } from "../types";

/** The services middleware. */
export function services(): MiddlewareHandler<AppEnv> {
  return async function services(c, next) {
    const logger = createLogger({ requestId: c.get("requestId") });
    c.set("services", buildServices(c.get("config"), c.executionCtx, logger));
    await next();
  };
}
