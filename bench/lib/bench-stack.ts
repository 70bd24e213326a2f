/**
 * The bench's world: the harness's run stack (`harness/run-stack.ts`: a fresh database on the local
 * Postgres, Upstash REST and Neon servers over the real Redis and Postgres, a random key prefix),
 * run in a child process (see `stack-child.ts`), plus injected round-trip times, the seeded
 * products, and a way to flush the run's keys between scenarios.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { controlFaults } from "../../harness/fault-control";
import { deleteKeysByPrefix } from "../../harness/redis-keys";
import { ROOT, type RunStack } from "../../harness/run-stack";
import type { StackFailed, StackReady } from "./stack-child";

export { ROOT } from "../../harness/run-stack";

/** A running bench stack. */
export type BenchStack = {
  /** The run's stack as the child reported it. */
  run: RunStack;
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
  /** Deletes every key of this run from Redis; returns how many. */
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
 * Starts the stack on `REDIS_URL` and the local Postgres (`TEST_DATABASE_ADMIN_URL`; defaults in
 * `harness/env.ts`).
 */
export async function startBenchStack(): Promise<BenchStack> {
  const child = await startStackChild();
  const { stack } = child;
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  // pg-pool re-emits an error of a client it is still ending (a FORCE-dropped database terminates
  // it) on the pool: without a listener that is an uncaught exception.
  pool.on("error", () => {});
  const reset = () =>
    Promise.all([
      controlFaults(stack.redisFaultsUrl, { method: "DELETE" }),
      controlFaults(stack.dbFaultsUrl, { method: "DELETE" }),
    ]);
  const bench: BenchStack = {
    run: stack,
    upstash: { url: stack.upstashUrl, token: stack.upstashToken },
    prefix: stack.cacheKeyPrefix,
    bindings: stack.bindings,
    compatibilityDate: stack.compatibilityDate,
    compatibilityFlags: stack.compatibilityFlags,
    async seed(ids) {
      const values = ids.map((_, i) => `($${i + 1}, 'Bench product', 1999)`).join(", ");
      await pool.query(
        `INSERT INTO products (id, name, price_cents) VALUES ${values} ON CONFLICT (id) DO NOTHING`,
        [...ids],
      );
    },
    flushKeys: () => deleteKeysByPrefix(stack.redisUrl, stack.cacheKeyPrefix),
    async setLatency(redisMs, dbMs, jitter = { redisMs: 0, dbMs: 0 }) {
      await controlFaults(stack.redisFaultsUrl, {
        method: "POST",
        patch: { latencyMs: redisMs, jitterMs: jitter.redisMs },
      });
      await controlFaults(stack.dbFaultsUrl, {
        method: "POST",
        patch: { latencyMs: dbMs, jitterMs: jitter.dbMs },
      });
    },
    async close() {
      await reset().catch(() => {});
      await pool.end();
      // The child deletes the run's keys and drops its database on the way out.
      await child.close();
    },
  };
  return bench;
}

type StackChild = { stack: RunStack; close(): Promise<void> };

/** Forks `stack-child.ts` (under tsx) and waits for its stack. */
async function startStackChild(): Promise<StackChild> {
  const proc: ChildProcess = fork(join(ROOT, "bench/lib/stack-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const stack = await new Promise<RunStack>((resolve, reject) => {
    proc.once("message", (message) => {
      const m = message as StackReady | StackFailed;
      if (m.type === "ready") {
        resolve(m.stack);
      } else {
        reject(new Error(`local stack failed: ${m.message}`));
      }
    });
    proc.once("exit", (code) => reject(new Error(`local stack process exited with ${code}`)));
  });
  return {
    stack,
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
