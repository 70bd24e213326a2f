/**
 * The Neon server in front of a hot standby, as `DATABASE_REPLICA_URL` would use it: `neon()` over
 * HTTP and the WebSocket `Pool` work against the standby exactly as against the primary, writes
 * there fail with Postgres's read-only error, and the standby's lag is visible through the driver.
 */
import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import ws from "ws";
import { pointNeonAtLocal } from "../neon/neon-config";
import { type NeonServer, startNeonServer } from "../neon/server";
import { type PostgresPair, startPostgresPair } from "./postgres-pair";

let pair: PostgresPair;
let server: NeonServer;

beforeAll(async () => {
  pair = await startPostgresPair();
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  neonConfig.webSocketConstructor = ws;
  const sql = neon(pair.primaryUrl);
  await sql`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)`;
  await sql`INSERT INTO items VALUES (1, 'one'), (2, 'two')`;
  await pair.waitForReplay();
}, 60_000);

afterAll(async () => {
  await server?.close();
  await pair?.close();
});

/** The driver's error for `run`, with Postgres's SQLSTATE in `code`. */
async function failure(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (error: unknown) {
    return error as { code?: string; message: string };
  }
  throw new Error("expected the query to fail");
}

const READ_ONLY = { code: "25006", message: "cannot execute INSERT in a read-only transaction" };

describe("neon() over HTTP against the standby", () => {
  test("reads the replicated rows, and the standby says it is in recovery", async () => {
    const sql = neon(pair.replicaUrl);
    expect(await sql`SELECT id, name FROM items ORDER BY id`).toEqual([
      { id: 1, name: "one" },
      { id: 2, name: "two" },
    ]);
    expect(await sql`SELECT pg_is_in_recovery() AS standby`).toEqual([{ standby: true }]);
    expect(await neon(pair.primaryUrl)`SELECT pg_is_in_recovery() AS standby`).toEqual([
      { standby: false },
    ]);
  });

  test("a write fails with Postgres's read-only error, alone or in a batch", async () => {
    const sql = neon(pair.replicaUrl);
    expect(await failure(() => sql`INSERT INTO items VALUES (3, 'three')`)).toMatchObject(
      READ_ONLY,
    );
    const batch = () =>
      sql.transaction([sql`SELECT 1 AS one`, sql`INSERT INTO items VALUES (3, 'three')`]);
    expect(await failure(batch)).toMatchObject(READ_ONLY);
    const readOnly = await sql.transaction([sql`SELECT count(*)::int AS n FROM items`], {
      readOnly: true,
      isolationLevel: "RepeatableRead",
    });
    expect(readOnly).toEqual([[{ n: 2 }]]);
  });

  test("a row committed on the primary shows on the standby only after the apply delay", async () => {
    const primary = neon(pair.primaryUrl);
    const replica = neon(pair.replicaUrl);
    await pair.setLag(300);
    try {
      const began = performance.now();
      await primary`INSERT INTO items VALUES (10, 'late')`;
      const early = await replica`SELECT count(*)::int AS n FROM items WHERE id = 10`;
      if (performance.now() - began < 300) {
        expect(early).toEqual([{ n: 0 }]);
      }
      let seen = early;
      while (seen[0]?.n !== 1 && performance.now() - began < 5000) {
        seen = await replica`SELECT count(*)::int AS n FROM items WHERE id = 10`;
      }
      expect(seen).toEqual([{ n: 1 }]);
      expect(performance.now() - began).toBeGreaterThanOrEqual(295);
    } finally {
      await pair.setLag(0);
    }
  });
});

describe("the WebSocket Pool against the standby", () => {
  test("reads like the primary, is in recovery, and refuses writes", async () => {
    const pool = new Pool({ connectionString: pair.replicaUrl });
    // An ending client that the teardown terminates must not become an uncaught exception.
    pool.on("error", () => {});
    try {
      const { rows } = await pool.query("SELECT id, name FROM items WHERE id < 10 ORDER BY id");
      expect(rows).toEqual([
        { id: 1, name: "one" },
        { id: 2, name: "two" },
      ]);
      const recovery = await pool.query("SELECT pg_is_in_recovery() AS standby");
      expect(recovery.rows).toEqual([{ standby: true }]);
      expect(
        await failure(() => pool.query("INSERT INTO items VALUES ($1, $2)", [4, "four"])),
      ).toMatchObject(READ_ONLY);
      const client = await pool.connect();
      try {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        const inTx = await client.query("SELECT count(*)::int AS n FROM items");
        await client.query("COMMIT");
        expect(inTx.rows).toEqual([{ n: expect.any(Number) }]);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});
