import { Client as NeonClient, neon, neonConfig, Pool } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import ws from "ws";
import { pointNeonAtLocal } from "./neon-config";
import { SESSION_SETTINGS_SQL } from "./pool-registry";
import { type NeonServer, startNeonServer } from "./server";
import { createFreshDatabase, type FreshDatabase } from "./test-support";
import { buildTypeQuery, TYPE_CASES } from "./type-cases";

// Raw Postgres text, so the comparison is about what the server sent, not how a parser read it.
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

let server: NeonServer;
let db: FreshDatabase;
/** A direct session with the same settings the emulator applies to its sessions. */
let settled: pg.Client;

beforeAll(async () => {
  db = await createFreshDatabase();
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  neonConfig.webSocketConstructor = ws;
  settled = new pg.Client(db.pgConfig);
  await settled.connect();
  await settled.query(SESSION_SETTINGS_SQL);
});

afterAll(async () => {
  await settled?.end();
  await server?.close();
  await db?.drop();
});

const query = buildTypeQuery();

describe("SQL over HTTP", () => {
  test("returns exactly the Postgres text and field metadata of at least 25 types", async () => {
    const reference = await settled.query({
      text: query.text,
      values: query.params,
      rowMode: "array",
      types: RAW_TEXT,
    });
    const sql = neon(db.connectionString, { fullResults: true, arrayMode: true });
    const result = await sql.query(query.text, query.params, { types: RAW_TEXT });

    expect(result.rows).toEqual(reference.rows);
    expect(result.fields).toEqual(reference.fields.map((f) => ({ ...f, format: "text" })));
    expect(result.command).toBe("SELECT");
    expect(result.rowCount).toBe(1);
    const exercised = new Set(result.fields.map((f) => f.dataTypeID));
    expect(exercised.size).toBeGreaterThanOrEqual(25);
    expect(result.fields.map((f) => f.name)).toEqual(TYPE_CASES.map((c) => c.label));
  });

  test("parses every value to what pg's own parsers produce (default object mode)", async () => {
    const reference = await settled.query(query.text, query.params);
    const sql = neon(db.connectionString);
    const rows = await sql.query(query.text, query.params);
    expect(rows).toEqual(reference.rows);
    // Spot-check that parsing really happened rather than strings leaking through.
    const row = rows[0] as Record<string, unknown>;
    expect(row.timestamptz).toBeInstanceOf(Date);
    expect(row["int4[]"]).toEqual([1, null, 3]);
    expect(row.bytea).toEqual(Buffer.from([0, 255, 16, 32]));
    expect(row["bool-true"]).toBe(true);
  });

  test("tagged templates send parameters as text and round-trip them", async () => {
    const sql = neon(db.connectionString);
    const when = new Date("2020-05-06T07:08:09.010Z");
    const rows = await sql`SELECT ${42}::int4 AS n, ${when}::timestamptz AS t, ${"ü'x"} AS s,
      ${Buffer.from("hi")} AS b, ${[1, 2]}::int[] AS a, ${{ k: [1] }}::jsonb AS j`;
    expect(rows).toEqual([
      { n: 42, t: when, s: "ü'x", b: Buffer.from("hi"), a: [1, 2], j: { k: [1] } },
    ]);
  });
});

describe("WebSocket relay", () => {
  // No session settings on either side: the relay is a byte pipe, so the server defaults apply to both.
  test("a neon Pool returns exactly what a direct pg session returns", async () => {
    const reference = await db.direct.query({
      text: query.text,
      values: query.params,
      rowMode: "array",
      types: RAW_TEXT,
    });
    const pool = new Pool({ connectionString: db.connectionString });
    // An ending client that the database drop terminates must not become an uncaught exception.
    pool.on("error", () => {});
    try {
      const raw = await pool.query({
        text: query.text,
        values: query.params,
        rowMode: "array",
        types: RAW_TEXT,
      });
      expect(raw.rows).toEqual(reference.rows);
      expect(raw.fields.map((f) => f.dataTypeID)).toEqual(
        reference.fields.map((f) => f.dataTypeID),
      );
      const parsed = await pool.query(query.text, query.params);
      expect(parsed.rows).toEqual((await db.direct.query(query.text, query.params)).rows);
    } finally {
      await pool.end();
    }
  });

  test("a neon Client runs an interactive transaction and sees its own writes", async () => {
    const client = new NeonClient(db.connectionString);
    await client.connect();
    try {
      await client.query("CREATE TABLE ws_tx (id int PRIMARY KEY, note text)");
      await client.query("BEGIN");
      await client.query("INSERT INTO ws_tx VALUES ($1, $2)", [1, "kept"]);
      await client.query("SAVEPOINT sp");
      await client.query("INSERT INTO ws_tx VALUES ($1, $2)", [2, "undone"]);
      await client.query("ROLLBACK TO SAVEPOINT sp");
      const inside = await client.query("SELECT id, note FROM ws_tx ORDER BY id");
      expect(inside.rows).toEqual([{ id: 1, note: "kept" }]);
      // Not committed yet: a different session must not see the row.
      expect((await db.direct.query("SELECT count(*)::int AS n FROM ws_tx")).rows).toEqual([
        { n: 0 },
      ]);
      await client.query("COMMIT");
      expect((await db.direct.query("SELECT id FROM ws_tx")).rows).toEqual([{ id: 1 }]);
    } finally {
      await client.end();
    }
  });
});
