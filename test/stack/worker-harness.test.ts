import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { resetFaults, setDbFaults, setRedisFaults } from "../support/faults";
import { upstashCommand } from "../support/upstash-rest";
import { startWorker, startWorkers, type WorkerGroup, type WorkerHandle } from "../support/worker";

const stack = inject("stack");

/**
 * A stand-in Worker that uses its bindings the way the real one does (Upstash REST with the token,
 * Neon's /sql with the connection string) and keeps a per-isolate counter.
 */
const PROBE_WORKER = `
let hits = 0;
export default {
  async fetch(request, env) {
    hits += 1;
    const url = new URL(request.url);
    if (url.pathname === "/hits") return Response.json({ hits });
    const key = env.CACHE_KEY_PREFIX + "probe";
    const redis = (cmd) => fetch(env.UPSTASH_REDIS_REST_URL, {
      method: "POST",
      headers: { authorization: "Bearer " + env.UPSTASH_REDIS_REST_TOKEN },
      body: JSON.stringify(cmd),
    });
    const set = await redis(["SET", key, url.searchParams.get("v") ?? "x"]);
    const sql = await fetch("http://" + env.NEON_LOCAL_PROXY + "/sql", {
      method: "POST",
      headers: { "neon-connection-string": env.DATABASE_URL, "content-type": "application/json" },
      body: JSON.stringify({ query: "SELECT current_database() AS db", params: [] }),
    });
    return Response.json({
      redisStatus: set.status,
      sqlStatus: sql.status,
      sql: sql.ok ? (await sql.json()).rows : await sql.text(),
      apiToken: env.API_TOKEN,
      bindingNames: Object.keys(env).sort(),
    });
  },
};`;

function redisGet(key: string): Promise<unknown> {
  return upstashCommand({ url: stack.upstashUrl, token: stack.upstashToken }, ["GET", key]);
}

async function json<T>(res: Promise<{ json(): Promise<unknown> }>): Promise<T> {
  return (await (await res).json()) as T;
}

describe("the Worker harness, with a stand-in Worker", () => {
  let group: WorkerGroup;
  let w0: WorkerHandle;
  let w1: WorkerHandle;
  beforeAll(async () => {
    group = await startWorkers(2, { script: PROBE_WORKER });
    const [first, second] = group.workers;
    if (first === undefined || second === undefined) {
      throw new Error("expected two workers");
    }
    [w0, w1] = [first, second];
  });
  afterAll(() => group.dispose());
  afterEach(() => resetFaults());

  it("reaches this run's Redis namespace and database from inside workerd", async () => {
    const value = `v-${stack.runId}`;
    const body = await json<{ redisStatus: number; sql: string[][]; apiToken: string }>(
      w0.fetch(`/probe?v=${value}`),
    );
    expect(body.redisStatus).toBe(200);
    expect(body.sql).toEqual([[stack.databaseName]]);
    expect(body.apiToken).toBe(stack.apiToken);
    expect(await redisGet(`${stack.cacheKeyPrefix}probe`)).toBe(value);
  });

  it("passes every binding of the run (wrangler.toml's [vars] and the stack's)", async () => {
    const body = await json<{ bindingNames: string[] }>(w0.fetch("/probe"));
    expect(body.bindingNames).toEqual(Object.keys(stack.bindings).sort());
    expect(body.bindingNames).toContain("NEON_LOCAL_PROXY");
  });

  it("runs each worker of a group in its own isolate", async () => {
    const hits = async (w: WorkerHandle) => (await json<{ hits: number }>(w.fetch("/hits"))).hits;
    const before0 = await hits(w0);
    const before1 = await hits(w1);
    await hits(w0);
    await hits(w0);
    expect((await hits(w0)) - before0).toBe(3);
    expect((await hits(w1)) - before1).toBe(1);
  });

  it("lets a test switch the database and Redis faults on and off", async () => {
    await setDbFaults({ mode: "http500" });
    await setRedisFaults({ mode: "http500" });
    const faulty = await json<Record<string, number>>(w0.fetch("/probe"));
    expect([faulty.redisStatus, faulty.sqlStatus]).toEqual([500, 500]);
    await resetFaults();
    const healthy = await json<Record<string, number>>(w0.fetch("/probe"));
    expect([healthy.redisStatus, healthy.sqlStatus]).toEqual([200, 200]);
  });
});

const hasWorker = existsSync(fileURLToPath(new URL("../../src/index.ts", import.meta.url)));

describe.skipIf(!hasWorker)("the real Worker against the stack", () => {
  it("answers /healthz with the database and Redis both ok", async () => {
    const worker = await startWorker();
    try {
      const res = await worker.fetch("/healthz");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok", db: "ok", redis: "ok" });
    } finally {
      await worker.dispose();
    }
  });
});
