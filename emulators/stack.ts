/**
 * The whole local stack the Worker needs, in one call: Redis, Postgres, the Upstash REST server, the
 * Neon server, and the schema migrated. Used by `npm run dev`; tests use the same pieces directly.
 * Optional replicas (see docs/replicas.md) are checked, then handed on: the Redis replica to the
 * Upstash server as its read region, the Postgres standby to the Worker as `DATABASE_REPLICA_URL`.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { applyMigrations, type MigrateResult } from "./migrate";
import { startNeonServer } from "./neon/server";
import { startEmbeddedPostgres } from "./pglite";
import { startRedisServer } from "./redis-server";
import { verifyPostgresStandby, verifyRedisReplica } from "./replication/verify";
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
  /**
   * A Redis replica of `redisUrl` (which must then be given): the Upstash server answers reads,
   * `EVAL_RO` and `EVALSHA_RO` from it and honours sync tokens. @default none
   */
  redisReplicaUrl?: string;
  /**
   * A hot standby of `databaseUrl` (which must then be given), passed to the Worker as
   * `DATABASE_REPLICA_URL`. @default none
   */
  databaseReplicaUrl?: string;
  /** Passed to the Worker as `READ_CONSISTENCY` when set. @default unset (the Worker's default) */
  readConsistency?: string;
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
  /** The Upstash server's read region, when one was given. */
  redisReplicaUrl: string | undefined;
  /** The Worker's `DATABASE_REPLICA_URL`, when one was given. */
  databaseReplicaUrl: string | undefined;
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

    await checkReplicaOptions(opts, log);
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
      ...(opts.redisReplicaUrl === undefined ? {} : { replicaUrl: opts.redisReplicaUrl }),
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
    if (opts.databaseReplicaUrl !== undefined) {
      bindings.DATABASE_REPLICA_URL = opts.databaseReplicaUrl;
    }
    if (opts.readConsistency !== undefined) {
      bindings.READ_CONSISTENCY = opts.readConsistency;
    }
    const { redisReplicaUrl, databaseReplicaUrl } = opts;
    return {
      bindings,
      upstash,
      neon,
      redisUrl,
      databaseUrl,
      redisReplicaUrl,
      databaseReplicaUrl,
      migrations,
      close,
    };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}

/**
 * A replica needs its primary named explicitly (a private redis-server or the embedded PGlite
 * cannot be anyone's primary), and must really replicate it.
 */
async function checkReplicaOptions(
  opts: LocalStackOptions,
  log: (line: string) => void,
): Promise<void> {
  if (opts.redisReplicaUrl !== undefined) {
    if (opts.redisUrl === undefined) {
      throw new Error("REDIS_REPLICA_URL needs REDIS_URL: the replica's primary");
    }
    await verifyRedisReplica(opts.redisUrl, opts.redisReplicaUrl);
    log(`redis:    read region ${opts.redisReplicaUrl} (REDIS_REPLICA_URL)`);
  }
  if (opts.databaseReplicaUrl !== undefined) {
    if (opts.databaseUrl === undefined) {
      throw new Error("DATABASE_REPLICA_URL needs DATABASE_URL: the standby's primary");
    }
    await verifyPostgresStandby(opts.databaseUrl, opts.databaseReplicaUrl);
    log(`postgres: standby ${redactUrl(opts.databaseReplicaUrl)} (DATABASE_REPLICA_URL)`);
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
