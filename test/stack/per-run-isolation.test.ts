import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { adminUrlFromEnv } from "../../harness/env";
import { type RunStack, type RunStackOptions, startRunStack } from "../../harness/run-stack";
import { createMigratedDatabase } from "../../harness/test-database";
import { upstashCommand } from "../support/upstash-rest";

const adminUrl = adminUrlFromEnv();

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const rows = await query(adminUrl, "SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return rows.length === 1;
}

/** A command through the run's own Upstash REST server. */
function redis(stack: RunStack, cmd: string[]): Promise<unknown> {
  return upstashCommand({ url: stack.upstashUrl, token: stack.upstashToken }, cmd);
}

/** Starts the stack a separate run would get (the global setup's), without a Worker bundle. */
async function startRun(
  opts: RunStackOptions = {},
): Promise<{ stack: RunStack; teardown: () => Promise<void> }> {
  const run = await startRunStack({ workerEntry: null, ...opts });
  return { stack: run.stack, teardown: run.close };
}

describe("per-run isolation", () => {
  it("gives this run a migrated database of its own and a key prefix naming the run", async () => {
    const stack = inject("stack");
    expect(stack.databaseName).toBe(`eca_test_${stack.runId}`);
    expect(stack.cacheKeyPrefix).toContain(stack.runId);
    expect(await databaseExists(stack.databaseName)).toBe(true);
    const tables = await query<{ t: string }>(
      stack.databaseUrl,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((r) => r.t)).toContain("products");
  });

  it("gives two concurrent runs different databases and prefixes, and drops them at teardown", async () => {
    const [a, b] = await Promise.all([startRun(), startRun({ label: "bench" })]);
    try {
      expect(a.stack.databaseName).not.toBe(b.stack.databaseName);
      expect(a.stack.cacheKeyPrefix).toBe(`test:${a.stack.runId}:`);
      expect(b.stack.cacheKeyPrefix).toBe(`bench:${b.stack.runId}:`);
      expect(a.stack.workerScriptPath).toBe("");
      expect(a.stack.bindings.DATABASE_URL).toBe(a.stack.databaseUrl);
      expect(a.stack.bindings.CACHE_KEY_PREFIX).toBe(a.stack.cacheKeyPrefix);

      await query(a.stack.databaseUrl, "CREATE TABLE run_marker (id int)");
      const inB = await query(b.stack.databaseUrl, "SELECT to_regclass('run_marker')::text AS t");
      expect(inB).toEqual([{ t: null }]);

      await redis(a.stack, ["SET", `${a.stack.cacheKeyPrefix}k`, "a"]);
      expect(await redis(b.stack, ["GET", `${b.stack.cacheKeyPrefix}k`])).toBeNull();
    } finally {
      await Promise.all([a.teardown(), b.teardown()]);
    }
    expect(await databaseExists(a.stack.databaseName)).toBe(false);
    expect(await databaseExists(b.stack.databaseName)).toBe(false);
    // Teardown also deletes the run's keys; read them through this run's own server.
    expect(await redis(inject("stack"), ["EXISTS", `${a.stack.cacheKeyPrefix}k`])).toBe(0);
  });
});

describe("a file's own database", () => {
  it("is migrated, empty, separate from the run's, and gone after drop", async () => {
    const stack = inject("stack");
    const db = await createMigratedDatabase(`${stack.runId}_own`);
    try {
      expect(db.name).not.toBe(stack.databaseName);
      expect(await query(db.url, "SELECT count(*)::int AS n FROM products")).toEqual([{ n: 0 }]);
    } finally {
      await db.drop();
    }
    expect(await databaseExists(db.name)).toBe(false);
  });
});
