/**
 * `GET /healthz`: one trivial query and one PING, each within its own timeout. Postgres down is
 * `503`; Redis down is `degraded` but still `200` (Redis is an accelerator, not a dependency).
 *
 * @module
 */
import { sql } from "drizzle-orm";
import type { Hono } from "hono";
import { healthOp } from "../api";
import { mount } from "../mount";
import { RETRY_AFTER_UNAVAILABLE_SECONDS } from "../on-error";
import type { AppEnv } from "../types";

/** Registers `GET /healthz`. */
export function registerHealthRoutes(app: Hono<AppEnv>): void {
  mount(app, healthOp, async (c) => {
    const { db, redis } = c.get("services");
    const [dbOk, redisOk] = await Promise.all([
      db.execute(sql`SELECT 1`).then(
        () => true,
        () => false,
      ),
      redis.ping().then(
        (reply) => reply === "PONG",
        () => false,
      ),
    ]);
    const body = {
      status: dbOk && redisOk ? "ok" : "degraded",
      db: dbOk ? "ok" : "down",
      redis: redisOk ? "ok" : "down",
    } as const;
    if (!dbOk) {
      return c.json(body, 503, { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) });
    }
    return c.json(body, 200);
  });
}
