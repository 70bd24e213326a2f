import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { redisAnswersPing } from "../../emulators/redis-server";
import { type LocalStack, startLocalStack } from "../../emulators/stack";
import { upstashCommand } from "../support/upstash-rest";

const REQUIRED_BINDINGS = [
  "DATABASE_URL",
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "API_TOKEN",
  "NEON_LOCAL_PROXY",
];

/** A command through the stack's Upstash REST server, as its bindings name it. */
function redisCommand(stack: LocalStack, cmd: string[]): Promise<unknown> {
  return upstashCommand(
    {
      url: stack.bindings.UPSTASH_REDIS_REST_URL ?? "",
      token: stack.bindings.UPSTASH_REDIS_REST_TOKEN ?? "",
    },
    cmd,
  );
}

async function sql(stack: LocalStack, query: string): Promise<unknown[][]> {
  const res = await fetch(`http://${stack.bindings.NEON_LOCAL_PROXY}/sql`, {
    method: "POST",
    headers: { "neon-connection-string": stack.bindings.DATABASE_URL ?? "" },
    body: JSON.stringify({ query, params: [] }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: unknown[][] }).rows;
}

describe("startLocalStack with nothing given (private redis-server, embedded PGlite)", () => {
  let dir: string;
  let stack: LocalStack;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "eca-stack-"));
    stack = await startLocalStack({ pgliteDir: join(dir, "pglite"), apiToken: "t0k3n" });
  });
  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("returns every binding the Worker needs, pointing at working servers", async () => {
    expect(Object.keys(stack.bindings).sort()).toEqual([...REQUIRED_BINDINGS].sort());
    expect(stack.bindings.API_TOKEN).toBe("t0k3n");
    expect(stack.redisUrl).not.toBe("redis://127.0.0.1:6379");
    expect(await redisCommand(stack, ["PING"])).toBe("PONG");
    expect(await sql(stack, "SELECT to_regclass('products')::text")).toEqual([["products"]]);
    expect(stack.migrations.skipped).toBe(false);
  });

  it("keeps the embedded database across restarts and stops its redis-server on close", async () => {
    await sql(stack, "CREATE TABLE IF NOT EXISTS persisted_marker (v text)");
    await sql(stack, "INSERT INTO persisted_marker VALUES ('kept')");
    const redisPort = Number(new URL(stack.redisUrl).port);
    await stack.close();
    expect(await redisAnswersPing(redisPort)).toBe(false);

    stack = await startLocalStack({ pgliteDir: join(dir, "pglite") });
    expect(stack.migrations.applied).toBe(0);
    expect(await sql(stack, "SELECT v FROM persisted_marker")).toEqual([["kept"]]);
  });
});

describe("startLocalStack with REDIS_URL and DATABASE_URL given", () => {
  it("uses them, starts no Redis or Postgres of its own, and leaves them running on close", async () => {
    const run = inject("stack");
    const stack = await startLocalStack({
      redisUrl: run.redisUrl,
      databaseUrl: run.databaseUrl,
      cacheKeyPrefix: run.cacheKeyPrefix,
    });
    const key = `${run.cacheKeyPrefix}local-stack`;
    try {
      expect(stack.bindings.DATABASE_URL).toBe(run.databaseUrl);
      expect(stack.bindings.CACHE_KEY_PREFIX).toBe(run.cacheKeyPrefix);
      expect(await sql(stack, "SELECT current_database()")).toEqual([[run.databaseName]]);
      await redisCommand(stack, ["SET", key, "seen"]);
    } finally {
      await stack.close();
    }
    // Through the run's own server: the key is in the given Redis, which is still up.
    const own = { url: run.upstashUrl, token: run.upstashToken };
    expect(await upstashCommand(own, ["GET", key])).toBe("seen");
  });
});
