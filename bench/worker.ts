/**
 * The bench Worker: the same product read and write through three paths, side by side.
 *
 * - `GET /read/:path/:id` → `{ status, version | null, outcome?, serverMs, calls }`
 * - `POST /write/:path/:id` → `{ version, serverMs, calls }` (one `UPDATE … version = version + 1`,
 *   then the path's invalidation: nocache none, naive `DEL key`, core `cache.invalidate`)
 * - `GET /stats`, `POST /stats/reset`: the isolate's exact round-trip counters (`worker-stats.ts`)
 *   and the state of the core's circuit breaker
 *
 * `path` is `nocache` (Postgres only), `naive` (the seed recipe, `naive-cache.ts`) or `core` (the
 * project's cache, built exactly as `src/services.ts` builds it). `serverMs` is the time from
 * the handler's start to its answer on the Worker's clock (which advances across I/O).
 */
import { eq, sql } from "drizzle-orm";
import { createCacheAside, sharedBreaker } from "lease-cache";
import { upstashPort } from "lease-cache/upstash";
import { createDb, type Db } from "../src/db/client";
import { PRODUCT_ID_PATTERN } from "../src/db/product-id";
import { findProduct } from "../src/db/products";
import { products } from "../src/db/schema";
import { type Config, parseEnv } from "../src/env";
import { loaded } from "../src/http/routes/shared";
import { resourceKeys } from "../src/resource-keys";
import { cacheConfigOf, redisOf } from "../src/services";
import { createNaiveCache, NaiveGaveUpError } from "./naive-cache";
import type { BenchPath, ReadAnswer } from "./protocol";
import {
  installFetchCounter,
  readStats,
  resetStats,
  trackedBackground,
  withRequestScope,
} from "./worker-stats";

const PATHS: ReadonlySet<string> = new Set(["nocache", "naive", "core"]);
const ROUTE = new RegExp(
  `^/(read|write)/(nocache|naive|core)/(${PRODUCT_ID_PATTERN.source.slice(1, -1)})$`,
);

export default {
  async fetch(request: Request, env: Record<string, string>, ctx: ExecutionContext) {
    const parsed = parseEnv(env);
    if (!parsed.ok) {
      return json(500, { error: parsed.problems.join("; ") });
    }
    const config = parsed.config;
    installFetchCounter(config.UPSTASH_REDIS_REST_URL, config.NEON_LOCAL_PROXY ?? "");
    const { pathname } = new URL(request.url);
    // The isolate-wide breaker the core uses for this Redis (read only, to explain bypasses).
    const breaker = sharedBreaker(config.UPSTASH_REDIS_REST_URL).state;
    if (pathname === "/stats" && request.method === "GET") {
      return json(200, { ...readStats(), breaker });
    }
    if (pathname === "/stats/reset" && request.method === "POST") {
      resetStats();
      return json(200, { ...readStats(), breaker });
    }
    const match = ROUTE.exec(pathname);
    const [, kind, path, id] = match ?? [];
    if (kind === undefined || path === undefined || id === undefined || !PATHS.has(path)) {
      return json(404, { error: "no such route" });
    }
    const started = Date.now();
    try {
      if (kind === "read" && request.method === "GET") {
        const { result, calls } = await withRequestScope(() =>
          read(path as BenchPath, id, config, ctx),
        );
        return json(200, { ...result, startedAt: started, serverMs: Date.now() - started, calls });
      }
      if (kind === "write" && request.method === "POST") {
        const { result, calls } = await withRequestScope(() =>
          write(path as BenchPath, id, config, ctx),
        );
        return json(200, {
          version: result,
          startedAt: started,
          serverMs: Date.now() - started,
          calls,
        });
      }
      return json(405, { error: "method not allowed" });
    } catch (err: unknown) {
      const gaveUp = err instanceof NaiveGaveUpError;
      return json(gaveUp ? 503 : 500, {
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        serverMs: Date.now() - started,
      });
    }
  },
} satisfies ExportedHandler<Record<string, string>>;

function dbOf(config: Config): Db {
  return createDb({
    url: config.DATABASE_URL,
    localProxy: config.NEON_LOCAL_PROXY,
    timeoutMs: config.DB_TIMEOUT_MS,
  });
}

/** The naive path's key: its own namespace, so it never reads the core's entries. */
function naiveKey(config: Config, id: string): string {
  return `${config.CACHE_KEY_PREFIX}:naive:product:${id}`;
}

function coreCache(config: Config, ctx: ExecutionContext) {
  const redis = redisOf(config);
  return createCacheAside({
    redis: upstashPort(redis),
    config: cacheConfigOf(config),
    background: trackedBackground(ctx),
    breakerName: config.UPSTASH_REDIS_REST_URL,
  });
}

function naiveCache(config: Config) {
  return createNaiveCache({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    ttlSeconds: config.CACHE_TTL_SECONDS,
    negativeTtlSeconds: config.NEGATIVE_TTL_SECONDS,
  });
}

async function read(
  path: BenchPath,
  id: string,
  config: Config,
  ctx: ExecutionContext,
): Promise<Omit<ReadAnswer, "serverMs" | "calls" | "startedAt">> {
  const db = dbOf(config);
  if (path === "nocache") {
    const product = (await findProduct(db, id)).value;
    return { status: "db", version: product?.version ?? null };
  }
  if (path === "naive") {
    const result = await naiveCache(config).get(
      naiveKey(config, id),
      async () => (await findProduct(db, id)).value ?? null,
    );
    return { status: result.status, version: result.value?.version ?? null };
  }
  const cache = coreCache(config, ctx);
  const { loaded: result, outcome } = await cache.get(
    resourceKeys(config.CACHE_KEY_PREFIX).product(id),
    async () => loaded((await findProduct(db, id)).value),
  );
  return { status: outcome.status, version: result.found ? result.value.version : null, outcome };
}

async function write(
  path: BenchPath,
  id: string,
  config: Config,
  ctx: ExecutionContext,
): Promise<number | null> {
  const rows = await dbOf(config)
    .update(products)
    .set({ version: sql`${products.version} + 1`, updatedAt: sql`now()` })
    .where(eq(products.id, id))
    .returning({ version: products.version });
  const version = rows[0]?.version ?? null;
  if (path === "naive") {
    await naiveCache(config).invalidate(naiveKey(config, id));
  } else if (path === "core") {
    await coreCache(config, ctx).invalidate({
      keys: [resourceKeys(config.CACHE_KEY_PREFIX).product(id).key],
    });
  }
  return version;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
