/**
 * Shared helpers of the API tests and the fault drills: requests with or without the token, random
 * ids, the real Worker in fresh isolates, and looks behind the Worker's back — Postgres through
 * `pg`, Redis through its own client (ioredis), which the local servers' fault knobs do not touch —
 * to check what a request did or did not change.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { createMigratedDatabase } from "../../harness/test-database";
import { getFaults, resetFaults, setDbFaults, setRedisFaults } from "../support/faults";
import {
  type StartWorkersOptions,
  startWorkers,
  type WorkerGroup,
  type WorkerHandle,
} from "../support/worker";

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
  if (pool === undefined) {
    pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
    // pg-pool re-emits an error of a client it is still ending (a FORCE-dropped database terminates
    // it) on the pool: without a listener that is an uncaught exception.
    pool.on("error", () => {});
  }
  return (await pool.query<T>(text, params)).rows;
}

/** Ends the pool of {@link sql}; call in `afterAll` (or {@link closeBackdoors}). */
export async function closeSql(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

let direct: Redis | undefined;

/**
 * One command straight to the run's Redis, past the Upstash REST server and its fault knobs:
 * bulk and status replies as strings, integers as numbers, nil as `null`, arrays as arrays.
 * @throws the Redis error reply
 */
export async function redis(command: (string | number)[]): Promise<unknown> {
  const [name, ...args] = command;
  if (name === undefined) {
    throw new TypeError("redis(): empty command");
  }
  // RESP2 replies are the plain shapes above (ioredis defaults to RESP3).
  direct ??= new Redis(stack.redisUrl, { protocol: 2, maxRetriesPerRequest: 1 });
  return direct.call(String(name), ...args);
}

/** Ends the connections of {@link sql} and {@link redis}; call in `afterAll`. */
export async function closeBackdoors(): Promise<void> {
  await closeSql();
  direct?.disconnect();
  direct = undefined;
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
 * Starts `count` isolates of the real Worker with the run's bindings plus `bindings`. Writes and
 * absent-id reads get generous limits by default: every test file uses the same client address
 * (`absent-budget.test.ts` sets the contract's 60 itself).
 * @param output where the Workers' log lines go. @default {} (Miniflare's own output)
 */
export function startApi(
  bindings: Record<string, string> = {},
  count = 1,
  output: Pick<StartWorkersOptions, "onOutput"> = {},
): Promise<WorkerGroup> {
  return startWorkers(count, {
    ...output,
    bindings: { RATE_LIMIT_WRITES: "100000", ABSENT_READS_PER_MINUTE: "100000", ...bindings },
  });
}

/**
 * The file-wide Worker most API test files share: started before the file's tests with the run's
 * bindings, stopped (and the backdoor connections closed) after them. The returned handle forwards
 * to it.
 */
export function useApi(): WorkerHandle {
  let group: WorkerGroup | undefined;
  beforeAll(async () => {
    group = await startApi();
  });
  afterAll(async () => {
    await group?.dispose();
    await closeBackdoors();
  });
  const worker = (): WorkerHandle => {
    const first = group?.workers[0];
    if (first === undefined) {
      throw new Error("useApi(): the Worker is started in beforeAll; use it inside tests");
    }
    return first;
  };
  return {
    name: "worker-0",
    fetch: (path, init) => worker().fetch(path, init),
    scheduled: (cron) => worker().scheduled(cron),
  };
}

/**
 * The real Worker over a database and key prefix of its own, for tests that reason about product
 * pages: the run's shared database holds every other file's products, so "first on the page" is
 * only knowable in a database nobody else writes to. `name` must be unique in the run (`[a-z0-9_]`).
 */
export async function startApiWithOwnDatabase(
  name: string,
): Promise<{ worker: WorkerHandle; dispose(): Promise<void> }> {
  const db = await createMigratedDatabase(`${stack.runId}_${name}`);
  const group = await startApi({
    DATABASE_URL: db.url,
    CACHE_KEY_PREFIX: `${stack.cacheKeyPrefix}-${name}`,
  });
  return {
    worker: group.workers[0] as WorkerHandle,
    async dispose() {
      await group.dispose();
      await db.drop();
    },
  };
}

/** What Postgres holds that a request about product `id` could have changed. */
export type PersistedState = {
  product: Record<string, unknown> | null;
  reviews: number;
  /** Outbox rows naming the product whose invalidation was not applied yet. */
  outboxIds: number[];
  /** Every outbox row naming the product (applied ones are kept for replays). */
  outboxRows: number[];
};

/** Snapshot of {@link PersistedState} for `id`. */
export async function stateOf(id: string): Promise<PersistedState> {
  const [product] = await sql(
    "SELECT id, name, price_cents, stock, version, updated_at FROM products WHERE id = $1",
    [id],
  );
  const [reviews] = await sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM reviews WHERE product_id = $1",
    [id],
  );
  const outbox = await sql<{ id: string; applied: boolean }>(
    "SELECT id, applied_at IS NOT NULL AS applied FROM outbox WHERE EXISTS (SELECT 1 FROM unnest(keys) k WHERE k LIKE $1) ORDER BY id",
    [`%:${id}`],
  );
  return {
    product: product ?? null,
    reviews: reviews?.n ?? 0,
    outboxIds: outbox.filter((r) => !r.applied).map((r) => Number(r.id)),
    outboxRows: outbox.map((r) => Number(r.id)),
  };
}

/**
 * Runs `request` and checks Postgres holds exactly what it held before for `id`: same product row
 * (version and updated_at included), same review count, no new outbox row (earlier writes' rows
 * may be marked applied or pruned meanwhile: that is not this request's doing).
 */
export async function expectNothingPersisted<T>(id: string, request: () => Promise<T>): Promise<T> {
  const before = await stateOf(id);
  const result = await request();
  const after = await stateOf(id);
  expect(after.product).toEqual(before.product);
  expect(after.reviews).toBe(before.reviews);
  expect(after.outboxRows.filter((o) => !before.outboxRows.includes(o))).toEqual([]);
  return result;
}

/**
 * Whether every outbox row of product `id` got marked applied within `timeoutMs`: writes mark
 * their rows in the background, in batches that wait for the isolate's other writes, so a test
 * that counts queries from now on waits for them first.
 */
export function outboxRowsApplied(id: string, timeoutMs = 3000): Promise<boolean> {
  return waitFor(
    async () =>
      (
        await sql(
          "SELECT 1 FROM outbox WHERE applied_at IS NULL AND EXISTS (SELECT 1 FROM unnest(keys) k WHERE k LIKE $1) LIMIT 1",
          [`%:${id}`],
        )
      ).length === 0,
    timeoutMs,
  );
}

/**
 * Runs `request` while every Redis command and every SQL query is answered with an injected error,
 * and checks that none was: the request was answered before any cache or database work.
 */
export async function expectNoBackendCalls<T>(request: () => Promise<T>): Promise<T> {
  // Earlier writes mark their outbox rows applied in the background; let that finish so it is not
  // mistaken for this request's work.
  await waitFor(
    async () => (await sql("SELECT 1 FROM outbox WHERE applied_at IS NULL LIMIT 1")).length === 0,
    3000,
  );
  const before = await getFaults();
  await Promise.all([
    setRedisFaults({ mode: "error", match: [] }),
    setDbFaults({ mode: "error", match: [] }),
  ]);
  try {
    return await request();
  } finally {
    await resetFaults();
    const after = await getFaults();
    expect(after.redis.applied?.error ?? 0).toBe(before.redis.applied?.error ?? 0);
    expect(after.db.applied?.error ?? 0).toBe(before.db.applied?.error ?? 0);
  }
}

/**
 * Polls `condition` every 20 ms until it holds or `timeoutMs` passed; returns whether it held
 * (check it: `expect(await waitFor(…), "what it waited for").toBe(true)`).
 * @param timeoutMs @default 5000
 */
export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) {
      return true;
    }
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The part of a (Miniflare) response the checks read. */
export type ApiResponse = {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
};

/** The contract's error envelope. */
export type ErrorBody = {
  error: { code: string; message: string; details: unknown[]; requestId: string };
};

/**
 * Checks an error response: status, JSON envelope with `code` and the response's `X-Request-Id`,
 * and `Cache-Control: no-store`.
 */
export async function expectError(
  res: ApiResponse,
  status: number,
  code: string,
): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(Array.isArray(body.error.details)).toBe(true);
  expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  expect(body.error.requestId).toMatch(/^[\w=-]{1,64}$/);
  return body;
}

/** The API's resource shapes, as the Worker answers them. */
export type { Product, Review } from "../../src/db/models";
