import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as NeonClient, neon, neonConfig } from "@neondatabase/serverless";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import ws from "ws";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../pglite";
import { pointNeonAtLocal } from "./neon-config";
import { type NeonServer, startNeonServer } from "./server";

const MIGRATION = [
  `CREATE TABLE IF NOT EXISTS authors (
     id serial PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS posts (
     id serial PRIMARY KEY, author_id int NOT NULL REFERENCES authors(id), title text NOT NULL,
     tags text[] NOT NULL DEFAULT '{}', body jsonb)`,
  "CREATE INDEX IF NOT EXISTS posts_author_idx ON posts (author_id)",
];

let dataDir: string;
let embedded: EmbeddedPostgres;
let server: NeonServer;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pglite-"));
  embedded = await startEmbeddedPostgres({ dataDir });
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  neonConfig.webSocketConstructor = ws;
}, 30_000);

afterAll(async () => {
  await server?.close();
  await embedded?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test("serves migration DDL and queries to pg, /sql and the relay, and persists across restarts", async () => {
  const direct = new pg.Client(embedded.url);
  await direct.connect();
  for (const statement of MIGRATION) {
    await direct.query(statement);
  }
  await direct.query("INSERT INTO authors (name) VALUES ($1)", ["Ada"]);

  // The driver's connection string for the embedded server (any password is accepted).
  const cs = embedded.url.replace("postgres://postgres@", "postgresql://postgres:pw@");
  const sql = neon(cs);
  const [author] = await sql`SELECT id, name FROM authors WHERE name = ${"Ada"}`;
  expect(author).toMatchObject({ name: "Ada" });
  const inserted = await sql.transaction([
    sql`INSERT INTO posts (author_id, title, tags, body) VALUES (${author?.id}, ${"Hi"}, ${["a", "b"]}, ${{ x: 1 }}) RETURNING id`,
    sql`SELECT count(*)::int AS n FROM posts`,
  ]);
  expect(inserted[1]).toEqual([{ n: 1 }]);
  await expect(sql`INSERT INTO authors (name) VALUES (${"Ada"})`).rejects.toMatchObject({
    code: "23505",
    constraint: "authors_name_key",
  });

  const viaRelay = new NeonClient(cs);
  await viaRelay.connect();
  const post = await viaRelay.query("SELECT title, tags, body FROM posts");
  expect(post.rows).toEqual([{ title: "Hi", tags: ["a", "b"], body: { x: 1 } }]);
  await viaRelay.end();
  await direct.end();

  await embedded.close();
  embedded = await startEmbeddedPostgres({ dataDir });
  const reopened = new pg.Client(embedded.url);
  await reopened.connect();
  const rows = await reopened.query(
    "SELECT a.name, p.title FROM posts p JOIN authors a ON a.id = p.author_id",
  );
  expect(rows.rows).toEqual([{ name: "Ada", title: "Hi" }]);
  await reopened.end();
}, 30_000);

test("interleaves concurrent /sql requests and an open relay session without mixing results", async () => {
  const cs = embedded.url.replace("postgres://postgres@", "postgresql://postgres:pw@");
  const sql = neon(cs);
  const relay = new NeonClient(cs);
  await relay.connect();
  try {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 4 === 0
          ? relay.query("SELECT $1::int * 2 AS v", [i]).then((r) => r.rows[0]?.v)
          : sql`SELECT ${i}::int * 2 AS v`.then((r) => r[0]?.v),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  } finally {
    await relay.end();
  }
});
