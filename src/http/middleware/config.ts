/**
 * Validates the Worker env once, at the boundary, and puts the result on the context. A bad
 * configuration is a `500 internal` whose message names the settings at fault (never their values).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { parseEnv } from "../../env";
import { log } from "../../log";
import { AppError } from "../errors";
import type { AppEnv } from "../types";

/** The config middleware; must run before anything that reads `c.get("config")`. */
export function config(): MiddlewareHandler<AppEnv> {
  return async function config(c, next) {
    const result = parseEnv(c.env);
    if (!result.ok) {
      log("error", "invalid Worker configuration", {
        requestId: c.get("requestId"),
        problems: result.problems,
      });
      throw new AppError("internal", `server misconfigured: ${result.problems.join("; ")}`);
    }
    c.set("config", result.config);
    await next();
  };
}
