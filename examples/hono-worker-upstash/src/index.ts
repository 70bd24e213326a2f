/**
 * A tiny product API on Cloudflare Workers: Hono, lease-cache over Upstash Redis (REST), and a
 * slow fake "database".
 *
 * GET /products/:id   read-through; `X-Cache` tells how it was answered (miss, hit, coalesced, …)
 * PUT /products/:id   {"name": string, "price": number}: save, then invalidate the cached entry
 * GET /stats          {"reads": n, "writes": n}: queries this isolate's database answered
 */
import { Redis } from "@upstash/redis/cloudflare";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  type CacheAside,
  createCacheAside,
  type Keyspace,
  keyspace,
  type Loaded,
} from "lease-cache";
import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
import { createProductsDb, type Product } from "./products";

type Bindings = {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  /** Prefix of every cache key. @default "example-worker" */
  KEY_PREFIX?: string;
};

type Variables = { cache: CacheAside; keys: Keyspace };

// Per isolate, like a connection pool would be; a real app queries Postgres instead.
const db = createProductsDb();

/** Ids become part of Redis keys: validate them before building one. */
const ID = /^[a-z0-9-]{1,40}$/;

const app = new Hono<{ Bindings: Bindings; Variables: Variables }>();

// The cache is cheap to build per request (its coalescing and circuit breaker are per isolate),
// and it must be: `background` is this request's ExecutionContext, which keeps fills alive after
// the response.
app.use(async (c, next) => {
  const redis = new Redis({
    url: c.env.UPSTASH_REDIS_REST_URL,
    token: c.env.UPSTASH_REDIS_REST_TOKEN,
    ...upstashClientOptions(),
  });
  c.set(
    "cache",
    createCacheAside({
      redis: upstashPort(redis),
      background: c.executionCtx,
      breakerName: c.env.UPSTASH_REDIS_REST_URL,
    }),
  );
  c.set("keys", keyspace(c.env.KEY_PREFIX ?? "example-worker"));
  await next();
});

app.get("/products/:id", async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) {
    return c.json({ error: "invalid_id" }, 400);
  }
  const { loaded, outcome } = await c.var.cache.get(
    { key: c.var.keys.key("product", id) },
    async (): Promise<Loaded<Product>> => {
      const row = await db.find(id);
      // An absent row is cached too, for `negativeTtlSeconds`.
      return row === undefined ? { found: false } : { found: true, value: row };
    },
  );
  c.header("X-Cache", outcome.status);
  return loaded.found ? c.json(loaded.value) : c.json({ error: "not_found" }, 404);
});

app.put("/products/:id", bodyLimit({ maxSize: 16 * 1024 }), async (c) => {
  const id = c.req.param("id");
  if (!ID.test(id)) {
    return c.json({ error: "invalid_id" }, 400);
  }
  const body = parseProduct(await c.req.text());
  if (body === undefined) {
    return c.json({ error: "invalid_body" }, 400);
  }
  const product = { id, ...body };
  await db.save(product);
  // After the commit, before answering: from now on no read can serve (or fill) the old row.
  try {
    await c.var.cache.invalidate({ keys: [c.var.keys.key("product", id)] });
  } catch (err: unknown) {
    // Redis is down or slow. A real app keeps the invalidation (an outbox row) and retries it,
    // for example from a Cron Trigger; this example answers and says so.
    console.error("invalidation failed:", err);
    c.header("X-Invalidation", "failed");
  }
  return c.json(product);
});

app.get("/stats", (c) => c.json(db.stats()));

function parseProduct(text: string): Omit<Product, "id"> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && "name" in value && "price" in value) {
      const { name, price } = value;
      if (typeof name === "string" && name.length > 0 && typeof price === "number") {
        return { name, price };
      }
    }
  } catch {
    // not JSON
  }
  return undefined;
}

export default app;
