/**
 * Shared helpers of the API tests: requests with or without the token, random ids, and direct
 * looks at Postgres (`pg`) and Redis (Upstash REST) to check what a request did or did not change.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { inject } from "vitest";
import { startWorkers, type WorkerGroup, type WorkerHandle } from "../support/worker";

const stack = inject("stack");

/** A fresh product id, unique per run and call. */
export function newId(prefix = "p"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** `Authorization` for writes, plus JSON content type. */
export function writeHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    authorization: `Bearer ${stack.apiToken}`,
    "content-type": "application/json",
    ...extra,
  };
}

/** A product body with every required field. */
export function productBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "Desk lamp", priceCents: 4599, currency: "EUR", stock: 12, ...overrides };
}

/** `PUT /products/:id` with the token; returns the response. */
export function putProduct(
  w: WorkerHandle,
  id: string,
  body: Record<string, unknown> = productBody(),
  headers: Record<string, string> = {},
) {
  return w.fetch(`/products/${id}`, {
    method: "PUT",
    headers: writeHeaders(headers),
    body: JSON.stringify(body),
  });
}

/** `POST /products/:id/reviews` with the token. */
export function postReview(w: WorkerHandle, id: string, body: Record<string, unknown>) {
  return w.fetch(`/products/${id}/reviews`, {
    method: "POST",
    headers: writeHeaders(),
    body: JSON.stringify(body),
  });
}

let pool: pg.Pool | undefined;

/** A query against the run's database, bypassing the Worker and the Neon server. */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  pool ??= new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  return (await pool.query<T>(text, params)).rows;
}

/** Ends the pool of {@link sql}; call in `afterAll`. */
export async function closeSql(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

/** What Postgres holds for product `id`: the row, its review count, outbox rows naming its key. */
export async function persistedFor(id: string) {
  const [product] = await sql("SELECT id, version FROM products WHERE id = $1", [id]);
  const [reviews] = await sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM reviews WHERE product_id = $1",
    [id],
  );
  const [outbox] = await sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE EXISTS (SELECT 1 FROM unnest(keys) k WHERE k LIKE $1)",
    [`%:${id}`],
  );
  return { product: product ?? null, reviews: reviews?.n ?? 0, outbox: outbox?.n ?? 0 };
}

/** One Redis command through the Upstash REST server (only while no Redis fault is set). */
export async function redis(command: (string | number)[]): Promise<unknown> {
  const res = await fetch(stack.upstashUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.upstashToken}` },
    body: JSON.stringify(command),
  });
  return ((await res.json()) as { result: unknown }).result;
}

/** Every Redis key of this run that mentions `id`. */
export async function redisKeysFor(id: string): Promise<string[]> {
  const keys = (await redis(["KEYS", `${stack.cacheKeyPrefix}*${id}*`])) as string[];
  return keys.sort();
}

/** The error envelope's code of a response. */
export async function errorCode(res: { json(): Promise<unknown> }): Promise<string | undefined> {
  const body = (await res.json()) as { error?: { code?: string } };
  return body.error?.code;
}

/**
 * Starts `count` isolates of the real Worker bundle. The bundle is passed as script text because
 * Miniflare resolves a `scriptPath` outside the working directory to a `../` module name, which
 * workerd refuses; the bundle is one self-contained ES module, so the text is equivalent.
 */
export async function startApi(
  bindings: Record<string, string> = {},
  count = 1,
): Promise<WorkerGroup> {
  const script = await readFile(stack.workerScriptPath, "utf8");
  // Every test file writes from the same address; only the rate-limit tests want a real limit.
  return startWorkers(count, { script, bindings: { RATE_LIMIT_WRITES: "100000", ...bindings } });
}
