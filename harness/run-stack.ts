/**
 * One run's own world on the machine's Redis and Postgres: a fresh migrated database, a random key
 * prefix, the Upstash REST and Neon servers in front of them (`emulators/stack.ts`), a local
 * identity provider for user tokens (its URL is the `JWT_ISSUER` binding; tests get tokens from
 * its `/token` and `/sign`), and the Worker bundled once. The integration tests (`test/global-setup.ts`), the consistency checker and the
 * bench each start theirs here; what they get is plain data, so it can cross to test workers
 * (`inject("stack")`) or from a child process.
 *
 * Environment: `REDIS_URL` and `TEST_DATABASE_ADMIN_URL` (defaults in `env.ts`).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startIdentityProvider } from "../emulators/identity/server";
import { redisAnswersPing } from "../emulators/redis-server";
import { CONTROL_PATH } from "../emulators/shared/faults";
import { startLocalStack } from "../emulators/stack";
import { parseRedisUrl } from "../emulators/upstash-rest/resp-client";
import { bundleWorker } from "./bundle-worker";
import { adminUrlFromEnv, redisUrlFromEnv } from "./env";
import { deleteKeysByPrefix } from "./redis-keys";
import { createMigratedDatabase } from "./test-database";
import { readWranglerConfig } from "./wrangler-config";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The real Worker's entry, bundled by default. */
export const WORKER_ENTRY = join(ROOT, "src/index.ts");

/** A running stack, as plain data. */
export type RunStack = {
  /** Random id of this run (also part of the database name and the key prefix). */
  runId: string;
  /** The fresh Postgres database of this run (`postgres://…/eca_test_<runId>`). */
  databaseUrl: string;
  /** Its name. */
  databaseName: string;
  /** The Redis behind the Upstash REST server. */
  redisUrl: string;
  /** Prefix of every Redis key this run's Workers write (`CACHE_KEY_PREFIX`): `<label>:<runId>:`. */
  cacheKeyPrefix: string;
  /** Upstash REST server base URL and token. */
  upstashUrl: string;
  upstashToken: string;
  /** Neon server base URL and its `host:port` (`NEON_LOCAL_PROXY`). */
  neonUrl: string;
  neonHostPort: string;
  /** Fault control endpoints (`<url>/__control/faults`): GET reads, POST merges, DELETE resets. */
  redisFaultsUrl: string;
  dbFaultsUrl: string;
  /** The bearer token for writes (`API_TOKEN`). */
  apiToken: string;
  /** The bundled Worker (ESM), or `""` when there is none (no entry, or `workerEntry: null`). */
  workerScriptPath: string;
  /** `compatibility_date` and `compatibility_flags` of wrangler.toml. */
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Every binding a Worker of this run gets: wrangler.toml `[vars]` + the stack's bindings. */
  bindings: Record<string, string>;
};

/** Options of {@link startRunStack}. */
export type RunStackOptions = {
  /** Names who runs it, as the key prefix's first part (`<label>:<runId>:`). @default "test" */
  label?: string;
  /** The Worker to bundle, or `null` for none. @default WORKER_ENTRY, when it exists */
  workerEntry?: string | null;
  /** @default env `REDIS_URL`, else `DEFAULT_REDIS_URL` */
  redisUrl?: string;
  /** A role allowed to CREATE/DROP DATABASE. @default env `TEST_DATABASE_ADMIN_URL`, else `DEFAULT_ADMIN_URL` */
  adminUrl?: string;
};

/** A started {@link RunStack} and the way to undo it. */
export type RunStackHandle = {
  stack: RunStack;
  /**
   * Stops the servers, deletes the run's keys, drops its database and removes the bundle, newest
   * first; a failing step is logged and the rest still run. Safe to call twice.
   */
  close(): Promise<void>;
};

/** Starts a run's stack; on failure, whatever was already started is undone before rethrowing. */
export async function startRunStack(opts: RunStackOptions = {}): Promise<RunStackHandle> {
  const runId = randomBytes(6).toString("hex");
  const redisUrl = opts.redisUrl ?? redisUrlFromEnv();
  const entry =
    opts.workerEntry === undefined
      ? existsSync(WORKER_ENTRY)
        ? WORKER_ENTRY
        : null
      : opts.workerEntry;
  const undo: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of undo.splice(0).reverse()) {
      await step().catch((err: unknown) => console.error("[run-stack] teardown:", err));
    }
  };
  try {
    await requireRedis(redisUrl);
    const outDir = await mkdtemp(join(tmpdir(), "eca-worker-"));
    undo.push(() => rm(outDir, { recursive: true, force: true }));
    // The three slow steps are independent; on 2 cores overlapping them saves about a second.
    const [db, workerScriptPath, config] = await Promise.all([
      createMigratedDatabase(runId, opts.adminUrl ?? adminUrlFromEnv()).then((created) => {
        undo.push(() => created.drop());
        return created;
      }),
      entry === null ? "" : bundleWorker(entry, outDir),
      readWranglerConfig(),
    ]);
    const cacheKeyPrefix = `${opts.label ?? "test"}:${runId}:`;
    const apiToken = randomBytes(18).toString("base64url");
    // It migrates too: a no-op by now, the database is migrated above (overlapped with bundling).
    const local = await startLocalStack({
      redisUrl,
      databaseUrl: db.url,
      apiToken,
      cacheKeyPrefix,
    });
    undo.push(() => local.close());
    // Most keys expire anyway; locks and queues may not.
    undo.push(() => deleteKeysByPrefix(redisUrl, cacheKeyPrefix));
    const identity = await startIdentityProvider();
    undo.push(() => identity.close());
    const stack: RunStack = {
      runId,
      databaseUrl: db.url,
      databaseName: db.name,
      redisUrl,
      cacheKeyPrefix,
      upstashUrl: local.upstash.url,
      upstashToken: local.upstash.token,
      neonUrl: local.neon.url,
      neonHostPort: local.neon.hostPort,
      redisFaultsUrl: `${local.upstash.url}${CONTROL_PATH}`,
      dbFaultsUrl: `${local.neon.url}${CONTROL_PATH}`,
      apiToken,
      workerScriptPath,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      bindings: {
        ...config.vars,
        ...local.bindings,
        JWT_JWKS_URL: identity.jwksUrl,
        JWT_ISSUER: identity.issuer,
        JWT_AUDIENCE: identity.audience,
      },
    };
    return { stack, close };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}

async function requireRedis(redisUrl: string): Promise<void> {
  const { host, port } = parseRedisUrl(redisUrl);
  if (!(await redisAnswersPing(port, host))) {
    throw new Error(
      `no Redis answers PING at ${host}:${port}; start redis-server or set REDIS_URL`,
    );
  }
}
