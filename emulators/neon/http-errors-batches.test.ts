import { NeonDbError, neon } from "@neondatabase/serverless";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pointNeonAtLocal } from "./neon-config";
import { type NeonServer, startNeonServer } from "./server";
import { createFreshDatabase, type FreshDatabase, postSql } from "./test-support";

const ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

let server: NeonServer;
let db: FreshDatabase;
let sql: ReturnType<typeof neon>;

beforeAll(async () => {
  db = await createFreshDatabase();
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  sql = neon(db.connectionString);
  await db.direct.query("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL UNIQUE)");
  await db.direct.query("INSERT INTO items VALUES (1, 'first')");
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err: unknown) {
    return err as Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

/** The same failing statement run by pg directly over the extended protocol. */
async function directError(text: string, values: unknown[] = []): Promise<pg.DatabaseError> {
  const config = { text, values, queryMode: "extended" };
  return (await rejection(db.direct.query(config))) as unknown as pg.DatabaseError;
}

function pick(err: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(ERROR_FIELDS.map((f) => [f, err[f] ?? undefined]));
}

describe("errors", () => {
  test("a unique violation carries the same fields as a direct pg error", async () => {
    const text = "INSERT INTO items VALUES ($1, $2)";
    const err = await rejection(sql.query(text, [2, "first"]));
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("23505");
    expect(err.constraint).toBe("items_name_key");
    expect(err.table).toBe("items");
    expect(err.detail).toBe("Key (name)=(first) already exists.");
    const direct = await directError(text, [2, "first"]);
    expect(err.message).toBe(direct.message);
    expect(pick(err)).toEqual(pick(direct as unknown as Record<string, unknown>));
  });

  test("a syntax error reports its position", async () => {
    const text = "SELECT 1 FROM FROM items";
    const err = await rejection(sql.query(text));
    expect(err.code).toBe("42601");
    // 1-based character offset of the second FROM.
    expect(err.position).toBe("15");
    expect(pick(err)).toEqual(
      pick((await directError(text)) as unknown as Record<string, unknown>),
    );
  });

  test("the raw error body has all 17 fields, absent ones null, with CORS and a request id", async () => {
    const res = await postSql(server.url, db.connectionString, { query: "SELECT 1/0", params: [] });
    expect(res.status).toBe(400);
    expect(Object.keys(res.json).sort()).toEqual([...ERROR_FIELDS, "message"].sort());
    expect(res.json).toMatchObject({ code: "22012", message: "division by zero", hint: null });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("neon-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("several statements in one query are rejected as by a prepared statement", async () => {
    const text = "SELECT 1; SELECT 2";
    const err = await rejection(sql.query(text));
    expect(err.message).toBe("cannot insert multiple commands into a prepared statement");
    expect(err.message).toBe((await directError(text)).message);
  });

  test("a host outside the allow-list is refused with a non-database 400", async () => {
    const cs = db.connectionString.replace("127.0.0.1", "db.example.com");
    const res = await postSql(server.url, cs, { query: "SELECT 1", params: [] });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("");
    expect(String(res.json.message)).toContain("allowHosts");
  });

  test("an unknown database is a database error, an unreachable Postgres a server error", async () => {
    const missing =
      await rejection(neon(db.connectionString.replace(db.name, `${db.name}_x`))`SELECT 1`);
    expect(missing.code).toBe("3D000");
    const down = await rejection(neon(db.connectionString.replace(":5432/", ":1/"))`SELECT 1`);
    expect(String(down.message)).toMatch(/^Server error \(HTTP status 500\)/);
  });
});

describe("result shapes", () => {
  test("DDL answers command CREATE with rowCount null and empty fields and rows", async () => {
    const res = await postSql(server.url, db.connectionString, {
      query: "CREATE TABLE shapes (id int)",
      params: [],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      fields: [],
      rows: [],
      command: "CREATE",
      rowCount: null,
      rowAsArray: true,
    });
  });

  test("an INSERT without RETURNING counts rows and still has fields and rows", async () => {
    const res = await sql.query("INSERT INTO items VALUES (10, 'a'), (11, 'b')", [], {
      fullResults: true,
    });
    expect(res).toMatchObject({ command: "INSERT", rowCount: 2, fields: [], rows: [] });
  });

  test("a bare BEGIN does not leave a pooled session inside a transaction", async () => {
    await sql`BEGIN`;
    await sql`INSERT INTO items VALUES (20, 'after-begin')`;
    const seen = await db.direct.query("SELECT name FROM items WHERE id = 20");
    expect(seen.rows).toEqual([{ name: "after-begin" }]);
  });
});

describe("batches", () => {
  test("a failing batch rolls back everything and reports only the first error", async () => {
    const err = await rejection(
      sql.transaction([
        sql`INSERT INTO items VALUES (30, 'batch-a')`,
        sql`INSERT INTO items VALUES (31, 'first')`,
        sql`INSERT INTO items VALUES (32, 'batch-c')`,
      ]),
    );
    expect(err.code).toBe("23505");
    const rows = await db.direct.query("SELECT id FROM items WHERE id BETWEEN 30 AND 32");
    expect(rows.rows).toEqual([]);
  });

  test("a successful batch commits and answers one result per query", async () => {
    const [inserted, counted] = await sql.transaction([
      sql`INSERT INTO items VALUES (40, 'batch-ok') RETURNING id`,
      sql`SELECT count(*)::int AS n FROM items WHERE id = 40`,
    ]);
    expect(inserted).toEqual([{ id: 40 }]);
    expect(counted).toEqual([{ n: 1 }]);
    expect((await db.direct.query("SELECT 1 FROM items WHERE id = 40")).rowCount).toBe(1);
  });

  test("isolation, read-only and deferrable headers shape the transaction", async () => {
    const [iso, ro, def] = await sql.transaction(
      [
        sql`SHOW transaction_isolation`,
        sql`SHOW transaction_read_only`,
        sql`SHOW transaction_deferrable`,
      ],
      { isolationLevel: "Serializable", readOnly: true, deferrable: true },
    );
    expect([iso, ro, def]).toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    const err = await rejection(
      sql.transaction([sql`INSERT INTO items VALUES (50, 'ro')`], { readOnly: true }),
    );
    expect(err.code).toBe("25006");
    expect((await db.direct.query("SELECT 1 FROM items WHERE id = 50")).rowCount).toBe(0);
  });

  test("only the exact header value true counts, and unknown isolation levels are refused", async () => {
    const body = { queries: [{ query: "SHOW transaction_read_only", params: [] }] };
    const loose = await postSql(server.url, db.connectionString, body, {
      "Neon-Batch-Read-Only": "TRUE",
    });
    expect(loose.json.results).toMatchObject([{ rows: [["off"]] }]);
    expect(loose.headers.get("neon-batch-read-only")).toBe("TRUE");
    const bad = await postSql(server.url, db.connectionString, body, {
      "Neon-Batch-Isolation-Level": "Chaos",
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: "invalid isolation level", code: "" });
  });
});
