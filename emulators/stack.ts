/**
 * The whole local stack the Worker needs, in one call: Redis, Postgres, the Upstash REST server, the
 * Neon server, and the schema migrated. Used by `npm run dev`; tests use the same pieces directly.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, type MigrateResult } from "./migrate";
import { startNeonServer } from "./neon/server";
import { startEmbeddedPostgres } from "./pglite";
import { startRedisServer } from "./redis-server";
import { startUpstashRestServer } from "./upstash-rest/server";

/** Where the embedded Postgres keeps its data between runs (gitignored). */
export const DEFAULT_PGLITE_DIR = fileURLToPath(new URL("../.local/pglite", import.meta.url));

/** Options of {@link startLocalStack}. */
export type LocalStackOptions = {
  /** Use this Redis (`redis://host:port`). @default a private `redis-server` on a free port */
  redisUrl?: string;
  /** Use this Postgres (`postgres://…`). @default embedded PGlite persisted in `pgliteDir` */
  databaseUrl?: string;
  /** Data folder of the embedded PGlite. @default DEFAULT_PGLITE_DIR (`.local/pglite`) */
  pgliteDir?: string;
  /** Bearer token for writes, passed to the Worker as `API_TOKEN`. @default a random token */
  apiToken?: string;
  /** Passed to the Worker as `CACHE_KEY_PREFIX` when set. @default unset (the Worker's default) */
  cacheKeyPrefix?: string;
  /** Progress lines ("redis: …", "postgres: …"). @default silent */
  log?: (line: string) => void;
};

type Upstash = Awaited<ReturnType<typeof startUpstashRestServer>>;
type Neon = Awaited<ReturnType<typeof startNeonServer>>;

/** A running stack. */
export type LocalStack = {
  /** Every binding the Worker needs besides the `[vars]` of wrangler.toml. */
  bindings: Record<string, string>;
  /** The Upstash REST server (its `faults` are the Redis-side knobs). */
  upstash: Upstash;
  /** The Neon server (its `faults` are the database-side knobs). */
  neon: Neon;
  /** The Redis behind `upstash`. */
  redisUrl: string;
  /** The Postgres behind `neon` (also the Worker's `DATABASE_URL`). */
  databaseUrl: string;
  /** What the migration step did. */
  migrations: MigrateResult;
  /** Stops everything this call started, newest first. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * Starts what is missing from `opts`, applies pending migrations and returns the Worker bindings.
 * On failure, whatever was already started is stopped before the error is rethrown.
 */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => {});
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    // Drain the list so a second close (signal + finally) does nothing.
    for (const stop of closers.splice(0).reverse()) {
      await stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
    }
  };
  try {
    let redisUrl = opts.redisUrl;
    if (redisUrl === undefined) {
      const redis = await startRedisServer();
      closers.push(() => redis.close());
      redisUrl = redis.url;
      log(`redis:    private redis-server at ${redisUrl}`);
    } else {
      log(`redis:    ${redisUrl} (REDIS_URL)`);
    }

    let databaseUrl = opts.databaseUrl;
    if (databaseUrl === undefined) {
      const dataDir = opts.pgliteDir ?? DEFAULT_PGLITE_DIR;
      await mkdir(dirname(dataDir), { recursive: true });
      const pglite = await startEmbeddedPostgres({ dataDir });
      closers.push(() => pglite.close());
      databaseUrl = pglite.url;
      log(`postgres: embedded PGlite at ${databaseUrl} (data in ${dataDir})`);
    } else {
      log(`postgres: ${redactUrl(databaseUrl)} (DATABASE_URL)`);
    }

    const migrations = await applyMigrations(databaseUrl);
    log(
      migrations.skipped
        ? "schema:   no migrations yet"
        : `schema:   ${migrations.applied} migration(s) applied, ${migrations.total} in total`,
    );

    const upstash = await startUpstashRestServer({
      redisUrl,
      token: randomBytes(24).toString("base64url"),
      host: "127.0.0.1",
    });
    closers.push(() => upstash.close());
    const neon = await startNeonServer({ host: "127.0.0.1" });
    closers.push(() => neon.close());
    log(`upstash:  ${upstash.url}  (faults: ${upstash.url}/__control/faults)`);
    log(`neon:     ${neon.url}  (faults: ${neon.url}/__control/faults)`);

    const bindings: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: upstash.token,
      API_TOKEN: opts.apiToken ?? randomBytes(24).toString("base64url"),
      NEON_LOCAL_PROXY: neon.hostPort,
    };
    if (opts.cacheKeyPrefix !== undefined) {
      bindings.CACHE_KEY_PREFIX = opts.cacheKeyPrefix;
    }
    return { bindings, upstash, neon, redisUrl, databaseUrl, migrations, close };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}

/** `url` with its password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") {
      u.password = "***";
    }
    return u.toString();
  } catch {
    return "<unparseable URL>";
  }
}
