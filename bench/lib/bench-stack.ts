/**
 * The bench's world: a fresh database on the local Postgres, the local stack (Upstash REST and Neon
 * servers over the real Redis and Postgres, in a child process: see `stack-child.ts`) with a random
 * key prefix, injected round-trip times, the seeded products, and a way to flush the run's keys
 * between scenarios.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "@upstash/redis";
import pg from "pg";
import { CONTROL_PATH } from "../../emulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../test/support/test-database";
import { readWranglerConfig } from "../../test/support/wrangler-config";
import type { StackReady } from "./stack-child";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A running bench stack. */
export type BenchStack = {
  database: TestDatabase;
  /** The Upstash REST server (URL and token). */
  upstash: { url: string; token: string };
  /** The run's `CACHE_KEY_PREFIX`. */
  prefix: string;
  /** Worker bindings: wrangler.toml `[vars]` plus the stack's. */
  bindings: Record<string, string>;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Inserts products `ids` (version 1) straight into Postgres. */
  seed(ids: readonly string[]): Promise<void>;
  /** Deletes every key of this run from Redis. */
  flushKeys(): Promise<number>;
  /** Sets the injected round trips (ms; jitter adds up to that much at random) of both servers. */
  setLatency(
    redisMs: number,
    dbMs: number,
    jitter?: { redisMs: number; dbMs: number },
  ): Promise<void>;
  /** Stops the servers and drops the database. */
  close(): Promise<void>;
};

/**
 * Creates the database, starts the stack on `REDIS_URL` (default `redis://127.0.0.1:6379`) and the
 * local Postgres (`TEST_DATABASE_ADMIN_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
 */
export async function startBenchStack(): Promise<BenchStack> {
  const runId = randomBytes(5).toString("hex");
  const prefix = `bench:${runId}`;
  const database = await createTestDatabase(`bench_${runId}`, process.env.TEST_DATABASE_ADMIN_URL);
  let child: StackChild;
  try {
    child = await startStackChild({
      BENCH_REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      BENCH_DATABASE_URL: database.url,
      BENCH_KEY_PREFIX: prefix,
    });
  } catch (err: unknown) {
    await database.drop();
    throw err;
  }
  const { ready } = child;
  const faults = (url: string, body: unknown) =>
    fetch(`${url}${CONTROL_PATH}`, {
      method: body === undefined ? "DELETE" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((res) => {
      if (!res.ok) {
        throw new Error(`fault control at ${url} answered ${res.status}`);
      }
    });
  const wrangler = await readWranglerConfig();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const redis = new Redis({
    url: ready.upstash.url,
    token: ready.upstash.token,
    enableTelemetry: false,
    automaticDeserialization: false,
  });
  const bench: BenchStack = {
    database,
    upstash: ready.upstash,
    prefix,
    bindings: { ...wrangler.vars, ...ready.bindings },
    compatibilityDate: wrangler.compatibilityDate,
    compatibilityFlags: wrangler.compatibilityFlags,
    async seed(ids) {
      const values = ids.map((_, i) => `($${i + 1}, 'Bench product', 1999)`).join(", ");
      await pool.query(
        `INSERT INTO products (id, name, price_cents) VALUES ${values} ON CONFLICT (id) DO NOTHING`,
        [...ids],
      );
    },
    async flushKeys() {
      let cursor = "0";
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, { match: `${prefix}:*`, count: 1000 });
        cursor = String(next);
        if (keys.length > 0) {
          deleted += await redis.del(...keys);
        }
      } while (cursor !== "0");
      return deleted;
    },
    async setLatency(redisMs, dbMs, jitter = { redisMs: 0, dbMs: 0 }) {
      await faults(ready.upstash.url, { latencyMs: redisMs, jitterMs: jitter.redisMs });
      await faults(ready.neonUrl, { latencyMs: dbMs, jitterMs: jitter.dbMs });
    },
    async close() {
      await faults(ready.upstash.url, undefined).catch(() => {});
      await faults(ready.neonUrl, undefined).catch(() => {});
      await bench.flushKeys().catch(() => 0);
      await pool.end();
      await child.close();
      await database.drop();
    },
  };
  return bench;
}

type StackChild = { ready: StackReady; close(): Promise<void> };

/** Forks `stack-child.ts` (under tsx) and waits for its bindings. */
async function startStackChild(env: Record<string, string>): Promise<StackChild> {
  const proc: ChildProcess = fork(join(ROOT, "bench/lib/stack-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const ready = await new Promise<StackReady>((resolve, reject) => {
    proc.once("message", (message) => {
      const m = message as StackReady | { type: "error"; message: string };
      if (m.type === "ready") {
        resolve(m);
      } else {
        reject(new Error(`local stack failed: ${m.message}`));
      }
    });
    proc.once("exit", (code) => reject(new Error(`local stack process exited with ${code}`)));
  });
  return {
    ready,
    async close() {
      if (proc.exitCode === null && proc.connected) {
        proc.send("close");
      }
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
