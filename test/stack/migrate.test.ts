import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyMigrations } from "../../emulators/migrate";
import { createTestDatabase, type TestDatabase } from "../../harness/test-database";

let db: TestDatabase;
let folder: string;
const entries: Array<{ tag: string; sql: string }> = [];

/** Writes a drizzle-kit style folder (journal + SQL files) holding `entries`. */
async function writeMigrations(): Promise<void> {
  await mkdir(join(folder, "meta"), { recursive: true });
  const journal = {
    version: "7",
    dialect: "postgresql",
    entries: entries.map((e, idx) => ({
      idx,
      version: "7",
      when: 1_700_000_000_000 + idx * 1000,
      tag: e.tag,
      breakpoints: true,
    })),
  };
  await writeFile(join(folder, "meta", "_journal.json"), JSON.stringify(journal));
  for (const e of entries) {
    await writeFile(join(folder, `${e.tag}.sql`), e.sql);
  }
}

async function tables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const res = await client.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    return res.rows.map((r) => r.t);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase(`${inject("stack").runId}_migrate`);
  folder = await mkdtemp(join(tmpdir(), "eca-migrations-"));
});
afterAll(async () => {
  await db?.drop();
  await rm(folder, { recursive: true, force: true });
});

describe("applyMigrations", () => {
  it("does nothing, without failing, when there is no journal yet", async () => {
    const result = await applyMigrations(db.url, { migrationsFolder: join(folder, "absent") });
    expect(result).toEqual({ applied: 0, total: 0, skipped: true });
    expect(await tables()).toEqual([]);
  });

  it("applies pending migrations once, then only the new ones", async () => {
    entries.push(
      {
        tag: "0000_a",
        sql: 'CREATE TABLE "a" (id int);\n--> statement-breakpoint\nCREATE TABLE "b" (id int);',
      },
      { tag: "0001_c", sql: 'CREATE TABLE "c" (id int);' },
    );
    await writeMigrations();
    expect(await applyMigrations(db.url, { migrationsFolder: folder })).toEqual({
      applied: 2,
      total: 2,
      skipped: false,
    });
    expect(await tables()).toEqual(["a", "b", "c"]);

    expect((await applyMigrations(db.url, { migrationsFolder: folder })).applied).toBe(0);

    entries.push({ tag: "0002_d", sql: 'CREATE TABLE "d" (id int);' });
    await writeMigrations();
    expect(await applyMigrations(db.url, { migrationsFolder: folder })).toMatchObject({
      applied: 1,
      total: 3,
    });
    expect(await tables()).toEqual(["a", "b", "c", "d"]);
  });

  it("serialises concurrent callers so each migration runs exactly once", async () => {
    entries.push({ tag: "0003_e", sql: 'CREATE TABLE "e" (id int);' });
    await writeMigrations();
    const results = await Promise.all(
      [1, 2, 3].map(() => applyMigrations(db.url, { migrationsFolder: folder })),
    );
    expect(results.map((r) => r.applied).sort()).toEqual([0, 0, 1]);
    expect(await tables()).toContain("e");
  });
});
