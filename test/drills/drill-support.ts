/**
 * Helpers of the fault drills, on top of the API tests' (`../api/helpers.ts`: ids, bodies, the
 * real Worker, the looks behind its back): fresh isolates per drill, timed product requests, and
 * what Postgres and Redis hold for a product.
 */
import { describeEntry } from "lease-cache/testing";
import { afterAll, afterEach, inject } from "vitest";
import { quietOutput } from "../../harness/isolates";
import {
  closeBackdoors,
  productBody,
  redis,
  sql,
  startApi,
  waitFor,
  writeHeaders,
} from "../api/helpers";
import { getFaults, resetFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";

const stack = inject("stack");

/** One Worker isolate as the drills use it. */
export type Api = WorkerHandle;

/** Starts fresh isolates of the real Worker for the current drill; see {@link useDrills}. */
export type StartIsolates = (count?: number, bindings?: Record<string, string>) => Promise<Api[]>;

/** What {@link useDrills} gives a drill file. */
export type Drills = {
  /** `count` fresh isolates (one workerd) with the file's bindings plus `bindings`. @default 1 */
  isolates: StartIsolates;
  /** Stops the workerd of `isolate` now (a runtime dying mid-request); after the drill is fine too. */
  kill(isolate: Api): Promise<void>;
};

/**
 * The set-up every drill file shares: fresh isolates per drill (an outage opens an isolate's circuit
 * breaker, a hang leaves requests behind), their log lines dropped unless `CHECK_WORKER_LOGS=1`
 * (the drills provoke errors on purpose); after each drill the fault knobs reset and its isolates
 * stopped; after the file the backdoor connections closed.
 * @param bindings the file's bindings on top of the run's (and `startApi`'s). @default {}
 */
export function useDrills(bindings: Record<string, string> = {}): Drills {
  const running = new Set<WorkerGroup>();
  const stop = async (group: WorkerGroup) => {
    running.delete(group);
    await group.dispose();
  };
  afterEach(async () => {
    await resetFaults();
    await Promise.all([...running].map(stop));
  });
  afterAll(() => closeBackdoors());
  return {
    async isolates(count = 1, extra = {}) {
      const group = await startApi({ ...bindings, ...extra }, count, quietOutput());
      running.add(group);
      return group.workers;
    },
    async kill(isolate) {
      const group = [...running].find((g) => g.workers.includes(isolate));
      if (group === undefined) {
        throw new Error(`${isolate.name} is not running`);
      }
      await stop(group);
    },
  };
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
    headers: method === "GET" ? {} : writeHeaders(),
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
/** `PUT /products/:id` with the token and a full body holding `stock`. */
export const put = (w: Api, id: string, stock = 1) => call(w, "PUT", id, productBody({ stock }));

/** Postgres' row of product `id` (`null` when absent) and the pending outbox rows naming its cache key. */
export async function persisted(
  id: string,
): Promise<{ version: number | null; stock: number | null; outbox: number }> {
  const [row] = await sql<{ version: number; stock: number }>(
    "SELECT version, stock FROM products WHERE id = $1",
    [id],
  );
  const [outbox] = await sql<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox WHERE $1 = ANY(keys) AND applied_at IS NULL",
    [productKey(id)],
  );
  return { version: row?.version ?? null, stock: row?.stock ?? null, outbox: outbox?.n ?? 0 };
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
  const raw = await redis(["GET", productKey(id)]);
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

/** How many requests the Neon server's `hang` mode has caught so far in this run. */
export async function dbHangCount(): Promise<number> {
  return (await getFaults()).db.applied?.hang ?? 0;
}

/** Resolves once the Neon server's `hang` count reaches `count` (a request is being held). */
export async function waitForDbHangs(count: number): Promise<void> {
  if (!(await waitFor(async () => (await dbHangCount()) >= count))) {
    throw new Error(`timed out waiting for ${count} held Postgres request(s)`);
  }
}
