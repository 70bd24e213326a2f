/**
 * Vitest global setup of the `integration` project, run once per `vitest run` in Node.
 *
 * Gives the run its own world: a fresh Postgres database (migrated), a random Redis key prefix,
 * an Upstash REST server over the real Redis, a Neon server, a local identity provider (user
 * tokens; its URL is the `JWT_ISSUER` binding), and the Worker bundled once. Tests
 * read all of it with `inject("stack")` (see `test/support/provided.d.ts`).
 *
 * Environment: `TEST_DATABASE_ADMIN_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
 * `REDIS_URL` (default `redis://127.0.0.1:6379`).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import type { TestProject } from "vitest/node";
import { startIdentityProvider } from "../emulators/identity/server";
import { applyMigrations } from "../emulators/migrate";
import { startNeonServer } from "../emulators/neon/server";
import { redisAnswersPing } from "../emulators/redis-server";
import { CONTROL_PATH } from "../emulators/shared/faults";
import { startUpstashRestServer } from "../emulators/upstash-rest/server";
import { bundleWorker } from "./support/bundle-worker";
import type { ProvidedStack } from "./support/provided";
import { createTestDatabase, DEFAULT_ADMIN_URL } from "./support/test-database";
import { readWranglerConfig } from "./support/wrangler-config";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKER_ENTRY = join(ROOT, "src/index.ts");

/** Starts the run's stack, provides it, and returns the teardown (which undoes it in reverse). */
export default async function setup(
  project: Pick<TestProject, "provide">,
): Promise<() => Promise<void>> {
  const runId = randomBytes(6).toString("hex");
  const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL || DEFAULT_ADMIN_URL;
  const undo: Array<() => Promise<unknown>> = [];
  const teardown = async () => {
    for (const step of undo.splice(0).reverse()) {
      await step().catch((err: unknown) => console.error("[global-setup] teardown:", err));
    }
  };

  try {
    const redis = new URL(redisUrl);
    if (!(await redisAnswersPing(Number(redis.port || 6379), redis.hostname))) {
      throw new Error(
        `no Redis answers PING at ${redis.host}; start redis-server or set REDIS_URL`,
      );
    }
    const outDir = await mkdtemp(join(tmpdir(), "eca-worker-"));
    undo.push(() => rm(outDir, { recursive: true, force: true }));
    // The three slow steps are independent; on 2 cores overlapping them saves about a second.
    const [db, workerScriptPath, config] = await Promise.all([
      createTestDatabase(runId, adminUrl).then(async (created) => {
        undo.push(() => created.drop());
        await applyMigrations(created.url);
        return created;
      }),
      existsSync(WORKER_ENTRY) ? bundleWorker(WORKER_ENTRY, outDir) : Promise.resolve(""),
      readWranglerConfig(),
    ]);

    const upstash = await startUpstashRestServer({
      redisUrl,
      token: randomBytes(18).toString("base64url"),
    });
    const cacheKeyPrefix = `test:${runId}:`;
    undo.push(() => upstash.close());
    undo.push(() => deleteKeys(upstash.url, upstash.token, cacheKeyPrefix));
    const neon = await startNeonServer();
    undo.push(() => neon.close());
    // User tokens: tests get tokens from its `/token` and `/sign` (its URL is JWT_ISSUER).
    const identity = await startIdentityProvider();
    undo.push(() => identity.close());

    const apiToken = randomBytes(18).toString("base64url");
    const stack: ProvidedStack = {
      runId,
      databaseUrl: db.url,
      databaseName: db.name,
      redisUrl,
      cacheKeyPrefix,
      upstashUrl: upstash.url,
      upstashToken: upstash.token,
      neonUrl: neon.url,
      neonHostPort: neon.hostPort,
      redisFaultsUrl: `${upstash.url}${CONTROL_PATH}`,
      dbFaultsUrl: `${neon.url}${CONTROL_PATH}`,
      apiToken,
      workerScriptPath,
      compatibilityDate: config.compatibilityDate,
      compatibilityFlags: config.compatibilityFlags,
      bindings: {
        ...config.vars,
        DATABASE_URL: db.url,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        API_TOKEN: apiToken,
        NEON_LOCAL_PROXY: neon.hostPort,
        CACHE_KEY_PREFIX: cacheKeyPrefix,
        JWT_JWKS_URL: identity.jwksUrl,
        JWT_ISSUER: identity.issuer,
        JWT_AUDIENCE: identity.audience,
      },
    };
    project.provide("stack", stack);
  } catch (err: unknown) {
    await teardown();
    throw err;
  }
  return teardown;
}

/** Removes this run's keys from the shared Redis (most expire anyway; locks and queues may not). */
async function deleteKeys(url: string, token: string, prefix: string): Promise<void> {
  const redis = new Redis({ url, token, enableTelemetry: false, automaticDeserialization: false });
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, { match: `${prefix}*`, count: 500 });
    cursor = String(next);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== "0");
}
