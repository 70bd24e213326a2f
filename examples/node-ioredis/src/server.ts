/**
 * A tiny product API with lease-cache in front of a slow "database", over ioredis.
 *
 * GET /products/:id   read-through; `X-Cache` tells how it was answered (miss, hit, coalesced, …)
 * PUT /products/:id   {"name": string, "price": number}: save, then invalidate the cached entry
 * GET /stats          {"reads": n, "writes": n}: queries the database answered
 *
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), PORT (default 3000; 0 picks a free
 * one), KEY_PREFIX (default "example-node"), DB_DELAY_MS (default 50).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { createCacheAside, keyspace, type Loaded } from "lease-cache";
import { ioredisPort } from "lease-cache/ioredis";
import { createProductsDb, type Product } from "./products.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
  // Fail fast: a command waits for no reconnect, and the cache answers from the database instead.
  maxRetriesPerRequest: 1,
});
redis.on("error", (err: Error) => console.error("redis:", err.message));

// Build the cache once: in Node there is no request context to keep background fills alive.
const cache = createCacheAside({ redis: ioredisPort(redis) });
const keys = keyspace(process.env.KEY_PREFIX ?? "example-node");
const db = createProductsDb(Number(process.env.DB_DELAY_MS ?? 50));

/** Ids become part of Redis keys: validate them before building one. */
const ID = /^[a-z0-9-]{1,40}$/;
const MAX_BODY_BYTES = 16 * 1024;

async function getProduct(id: string, res: ServerResponse): Promise<void> {
  const { loaded, outcome } = await cache.get(
    { key: keys.key("product", id) },
    async (): Promise<Loaded<Product>> => {
      const row = await db.find(id);
      // An absent row is cached too, for `negativeTtlSeconds`.
      return row === undefined ? { found: false } : { found: true, value: row };
    },
  );
  res.setHeader("X-Cache", outcome.status);
  if (!loaded.found) {
    return send(res, 404, { error: "not_found" });
  }
  send(res, 200, loaded.value);
}

async function putProduct(id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = await readBody(req);
  if (text === undefined) {
    return send(res, 413, { error: "body_too_large" });
  }
  const body = parseProduct(text);
  if (body === undefined) {
    return send(res, 400, { error: "invalid_body" });
  }
  const product = { id, ...body };
  await db.save(product);
  // After the commit, before answering: from now on no read can serve (or fill) the old row.
  try {
    await cache.invalidate({ keys: [keys.key("product", id)] });
  } catch (err: unknown) {
    // Redis is down or slow. A real app keeps the invalidation (an outbox row) and retries it;
    // this example answers and says so.
    console.error("invalidation failed:", err);
    res.setHeader("X-Invalidation", "failed");
  }
  send(res, 200, product);
}

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

/** The body as text, or `undefined` when it is larger than `MAX_BODY_BYTES`. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [, resource, id, ...rest] = new URL(req.url ?? "/", "http://localhost").pathname.split("/");
  if (resource === "stats" && id === undefined && req.method === "GET") {
    return send(res, 200, db.stats());
  }
  if (resource !== "products" || id === undefined || rest.length > 0) {
    return send(res, 404, { error: "not_found" });
  }
  if (!ID.test(id)) {
    return send(res, 400, { error: "invalid_id" });
  }
  if (req.method === "GET") {
    return getProduct(id, res);
  }
  if (req.method === "PUT") {
    return putProduct(id, req, res);
  }
  send(res, 405, { error: "method_not_allowed" });
}

const server = createServer((req, res) => {
  route(req, res).catch((err: unknown) => {
    // Only the database can get here: Redis trouble is answered from the database.
    console.error(err);
    send(res, 500, { error: "internal" });
  });
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : "?";
  console.log(`listening on http://127.0.0.1:${port}`);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    redis.disconnect();
  });
}
