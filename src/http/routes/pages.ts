/**
 * The API's own documents and pages: `/openapi.json` (generated at build time from the route
 * table, see `../openapi/document.ts`), `/docs` (Swagger UI rendering it) and `/` (the
 * storefront). Pages and their files come from Workers Static Assets (`[assets]` in
 * wrangler.toml, built by `web/build.ts`); the Worker runs first for every request, so they get
 * the same headers as the API (`X-Request-Id`, `nosniff`) plus a strict Content-Security-Policy.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import { docsOp, openApiOp, storefrontOp } from "../api";
import { AppError } from "../errors";
import { mount } from "../mount";
import document from "../openapi/openapi.json";
import type { AppEnv } from "../types";

/** Where the built assets' own files live (scripts, styles, Swagger UI). */
export const ASSETS_PREFIX = "/assets/";

/**
 * Only same-origin scripts, styles, images and API calls. Inline `style` attributes are allowed:
 * Swagger UI sets them on its elements.
 */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Serves the asset at `path`, or `404 not_found` (also when no assets are deployed). */
async function asset(c: Context<AppEnv>, path: string): Promise<Response> {
  const assets = c.env.ASSETS;
  const res = assets === undefined ? undefined : await assets.fetch(new URL(path, c.req.url));
  if (res === undefined || res.status === 404) {
    await res?.body?.cancel();
    throw new AppError("not_found", "no such file");
  }
  const headers = new Headers(res.headers);
  const html = (headers.get("Content-Type") ?? "").startsWith("text/html");
  // Pages revalidate (their scripts change with a deploy); hashed-free asset names do too.
  headers.set("Cache-Control", "no-cache");
  if (html) {
    headers.set("Content-Security-Policy", PAGE_CSP);
    headers.set("X-Frame-Options", "DENY");
  }
  return new Response(res.body, { status: res.status, headers });
}

/** Registers `GET /openapi.json`, `GET /docs`, `GET /` and the asset files. */
export function registerPageRoutes(app: Hono<AppEnv>): void {
  mount(app, openApiOp, (c) => c.json(document, 200));
  mount(app, docsOp, (c) => asset(c, "/docs.html"));
  mount(app, storefrontOp, (c) => asset(c, "/index.html"));
  app.get(`${ASSETS_PREFIX}*`, (c) => asset(c, c.req.path));
}
