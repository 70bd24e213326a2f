/**
 * Per-client rate limit on writes (`@upstash/ratelimit`, sliding window): per user for user tokens,
 * per client address otherwise. Runs after authentication.
 *
 * When Redis is down, slow or failing, the write proceeds (fail-open): the contract makes Redis an
 * accelerator, never a dependency ("reads and writes still succeed from Postgres"), and writes are
 * already gated by the bearer token. The limiter's own timeout (`RATE_LIMIT_TIMEOUT_MS`, 200 ms)
 * resolves as a pass; a Redis error does too. Both are logged.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { describeError } from "../../log";
import { AppError } from "../errors";
import type { AppEnv } from "../types";

/** Client addresses as Cloudflare writes them (IPv4 or IPv6); anything else counts as "unknown". */
const CLIENT_ADDRESS = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The address Cloudflare saw (`CF-Connecting-IP`, which a client cannot forge on Cloudflare's
 * edge). Only address characters get through: it becomes part of Redis keys.
 */
export function clientAddressOf(c: Context<AppEnv>): string {
  const address = c.req.header("CF-Connecting-IP") ?? "";
  return CLIENT_ADDRESS.test(address) ? address : "unknown";
}

/**
 * Whom a write is counted against: the user for a user token (so users behind one address do not
 * share a limit), the client address otherwise.
 */
export function clientIdOf(c: Context<AppEnv>): string {
  const principal = c.get("principal");
  return principal?.kind === "user" ? `user:${principal.id}` : `ip:${clientAddressOf(c)}`;
}

/** Counts the write; `429 rate_limited` with `Retry-After` when over the limit. */
export function rateLimitWrites(): MiddlewareHandler<AppEnv> {
  return async function rateLimitWrites(c, next) {
    const { ratelimit, background, logger } = c.get("services");
    let result: Awaited<ReturnType<typeof ratelimit.limit>>;
    try {
      result = await ratelimit.limit(clientIdOf(c));
    } catch (err: unknown) {
      logger.log("warn", "rate limiter unavailable; write allowed (fail-open)", {
        error: describeError(err),
      });
      await next();
      return;
    }
    background.waitUntil(result.pending);
    if (result.reason === "timeout") {
      logger.log("warn", "rate limiter timed out; write allowed (fail-open)");
    }
    const resetSeconds = Math.max(0, Math.ceil((result.reset - Date.now()) / 1000));
    const headers = {
      "RateLimit-Limit": String(result.limit),
      "RateLimit-Remaining": String(Math.max(0, result.remaining)),
      "RateLimit-Reset": String(resetSeconds),
    };
    if (!result.success) {
      throw new AppError("rate_limited", "too many writes, retry later", {
        headers: { ...headers, "Retry-After": String(Math.max(1, resetSeconds)) },
      });
    }
    for (const [name, value] of Object.entries(headers)) {
      c.header(name, value);
    }
    await next();
  };
}
