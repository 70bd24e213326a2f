/**
 * The Hono app: global middleware in order, then the routes, then the single error handler.
 *
 * Routes come from the route table (`http/api.ts`), which the OpenAPI document is generated from.
 *
 * Order matters: the request id comes first (every response and log line carries it); response
 * defaults wrap everything else (so error responses get them too); the config
 * is validated before anything reads it; CORS answers preflights before any work; services are
 * built last, once per request.
 *
 * @module
 */
import { Hono } from "hono";
import { OPERATIONS } from "./http/api";
import { config } from "./http/middleware/config";
import { cors } from "./http/middleware/cors";
import { requestId } from "./http/middleware/request-id";
import { responseDefaults } from "./http/middleware/response-defaults";
import { services } from "./http/middleware/services";
import { mountMethodNotAllowed } from "./http/mount";
import { handleError, handleNotFound } from "./http/on-error";
import { registerHealthRoutes } from "./http/routes/health";
import { registerPageRoutes } from "./http/routes/pages";
import { registerProductListRoutes } from "./http/routes/product-list";
import { registerProductRoutes } from "./http/routes/products";
import { registerReviewRoutes } from "./http/routes/reviews";
import type { AppEnv } from "./http/types";

/** Builds the app. */
export function createApp(): Hono<AppEnv> {
  // strict: `/products/x/` is not `/products/x` (extra path segments are 404s).
  const app = new Hono<AppEnv>({ strict: true });
  app.use("*", requestId());
  app.use("*", responseDefaults());
  app.use("*", config());
  app.use("*", cors());
  app.use("*", services());

  registerProductListRoutes(app);
  registerProductRoutes(app);
  registerReviewRoutes(app);
  registerHealthRoutes(app);
  registerPageRoutes(app);
  // After every operation's handlers: the other methods of their paths are 405 with Allow.
  mountMethodNotAllowed(app, OPERATIONS);

  app.notFound(handleNotFound);
  app.onError(handleError);
  return app;
}
