/**
 * Helpers of the fault drills: the real Worker bundle in fresh isolates, typed product requests,
 * and looks behind the Worker's back — Postgres through `pg`, Redis through a RESP connection that
 * the Upstash REST server's fault knobs do not touch.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describeEntry } from "lease-cache/testing";
import pg from "pg";
import { inject } from "vitest";
import { type Isolates, startIsolates } from "../../check/consistency/isolates";
import type { Target } from "../../check/consistency/target";
import { RespClient, type RespReply } from "../../emulators/upstash-rest/resp-client";
import { getFaults } from "../support/faults";

const stack = inject("stack");

/** A fresh product id. */
export function newId(tag: string): string {
  return `drill-${tag}-${randomBytes(4).toString("hex")}`;
}

/** One Worker isolate as the drills use it. */
export type Api = Target;

/**
 * Fresh isolates of the real Worker bundle (this run's, from the harness) with the run's bindings
 * plus `bindings`; no write rate limit (every request comes from one address). The Worker's own
 * log lines are dropped unless `CHECK_WORKER_LOGS=1`.
 */
export async function startApi(
  bindings: Record<string, string> = {},
  count = 1,
): Promise<Isolates> {
  const script = await readFile(stack.workerScriptPath, "utf8");
  return startIsolates(stack, script, count, { RATE_LIMIT_WRITES: "1000000", ...bindings });
}

/** What a product request answered. */
export type Answer = {
  status: number;
  xCache: string | null;
  /** The product's version, `null` without a product body. */
  version: number | null;
  /** Wall time of the request, ms. */
  ms: number;
  headers: Headers;
  body: string;
};

/** A product body with every required field. */
export function productBody(stock = 1): Record<string, unknown> {
  return { name: "Drill lamp", priceCents: 1999, currency: "EUR", stock };
}

/** Sends one request to `/products/:id` and reads the whole answer. */
export async function call(
  w: Api,
  method: "GET" | "PUT" | "PATCH" | "DELETE",
  id: string,
  body?: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Answer> {
  const started = performance.now();
  const res = await w.fetch(`/products/${id}`, {
    method,
    headers:
      method === "GET"
        ? {}
        : { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  const headers = new Headers();
  for (const name of ["x-cache", "retry-after", "etag", "server-timing"]) {
    const value = res.headers.get(name);
    if (value !== null) {
      headers.set(name, value);
    }
  }
  let version: number | null = null;
  try {
    const parsed = JSON.parse(text) as { version?: unknown };
    version = typeof parsed.version === "number" ? parsed.version : null;
  } catch {
    // Not JSON (a 204, or a connection-level failure page): no version.
  }
  return {
    status: res.status,
    xCache: res.headers.get("X-Cache"),
    version,
    ms,
    headers,
    body: text,
  };
}

/** `GET /products/:id`. */
export const read = (w: Api, id: string) => call(w, "GET", id);
/** `PUT /products/:id` with the token. */
export const put = (w: Api, id: string, stock = 1) => call(w, "PUT", id, productBody(stock));

let pool: pg.Pool | undefined;

/** Postgres' row of product `id` (`null` when absent) and the pending outbox rows naming its cache key. */
export async function persisted(
  id: string,
): Promise<{ version: number | null; stock: number | null; outbox: number }> {
  pool ??= new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  const { rows } = await pool.query<{ version: number; stock: number }>(
    "SELECT version, stock FROM products WHERE id = $1",
    [id],
  );
  const { rows: outbox } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE $1 = ANY(keys) AND applied_at IS NULL",
    [productKey(id)],
  );
  return {
    version: rows[0]?.version ?? null,
    stock: rows[0]?.stock ?? null,
    outbox: outbox[0]?.n ?? 0,
  };
}

let resp: RespClient | undefined;

/** A Redis reply as plain data: bulk/status → string, integer → number, nil → null. */
export type RedisValue = string | number | null | RedisValue[];

/** One command straight to Redis, past the Upstash REST server (and its fault knobs). */
export async function redis(...command: string[]): Promise<RedisValue> {
  resp ??= new RespClient(stack.redisUrl, { poolSize: 1 });
  return plain(await resp.send(command));
}

function plain(reply: RespReply): RedisValue {
  switch (reply.kind) {
    case "bulk":
      return reply.value.toString("utf8");
    case "status":
    case "integer":
      return reply.value;
    case "nil":
      return null;
    case "array":
      return reply.items.map(plain);
    case "error":
      throw new Error(`Redis answered ${reply.message}`);
  }
}

/** Closes the `pg` pool and the Redis connection; call in `afterAll`. */
export async function closeBackdoors(): Promise<void> {
  await pool?.end();
  await resp?.close();
  pool = undefined;
  resp = undefined;
}

/** The cache key of product `id` (`<CACHE_KEY_PREFIX>:product:<id>`, see `src/http/resource-keys.ts`). */
export function productKey(id: string): string {
  return `${stack.cacheKeyPrefix}:product:${id}`;
}

/**
 * The version held by the cache entry of product `id`: a number, "absent" (cached miss),
 * "tombstone" (a miss that remembers a write's revision), or `null` (no entry).
 */
export async function cachedVersion(id: string): Promise<number | "absent" | "tombstone" | null> {
  const raw = await redis("GET", productKey(id));
  if (raw === null) {
    return null;
  }
  const entry = describeEntry(String(raw));
  if (entry.kind === "absent" || entry.kind === "tombstone") {
    return entry.kind;
  }
  const version =
    entry.kind === "value" ? (entry.value as { version?: unknown }).version : undefined;
  if (typeof version !== "number") {
    throw new Error(`torn or foreign cache entry for ${id}: ${String(raw)}`);
  }
  return version;
}

/** Polls `check` every 25 ms until it returns true; fails after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** How many requests the Neon server's `hang` mode has caught so far in this run. */
export async function dbHangCount(): Promise<number> {
  return (await getFaults()).db.applied?.hang ?? 0;
}

/** Resolves once the Neon server's `hang` count reaches `count` (a request is being held). */
export function waitForDbHangs(count: number): Promise<void> {
  return waitFor(`${count} held Postgres request(s)`, async () => (await dbHangCount()) >= count);
}
