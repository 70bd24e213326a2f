/**
 * A throw-away Postgres database per test run, created through an admin connection and dropped
 * (with its connections) at the end, so runs never see each other's rows.
 */
import pg from "pg";
import { applyMigrations } from "../emulators/migrate";
import { adminUrlFromEnv } from "./env";

/** A database created by {@link createTestDatabase}. */
export type TestDatabase = {
  name: string;
  /** The admin URL with its database replaced by `name`. */
  url: string;
  /** Drops the database, disconnecting whoever is still connected. Safe to call twice. */
  drop(): Promise<void>;
};

/**
 * Creates database `eca_test_<suffix>` on the server of `adminUrl`.
 * @param suffix `[a-z0-9_]+`
 * @param adminUrl a URL of a role allowed to CREATE/DROP DATABASE.
 * @default adminUrl env `TEST_DATABASE_ADMIN_URL`, else `DEFAULT_ADMIN_URL` (see `env.ts`)
 */
export async function createTestDatabase(
  suffix: string,
  adminUrl: string = adminUrlFromEnv(),
): Promise<TestDatabase> {
  if (!/^[a-z0-9_]+$/.test(suffix)) {
    throw new TypeError(`database suffix must be [a-z0-9_]+, got ${suffix}`);
  }
  const name = `eca_test_${suffix}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) {
        return;
      }
      dropped = true;
      // FORCE (PostgreSQL 13+): a pool a test forgot to end must not keep the database alive.
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin(
  adminUrl: string,
  work: (c: pg.Client) => Promise<unknown>,
): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  try {
    await client.connect();
  } catch (err: unknown) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot reach PostgreSQL at ${new URL(adminUrl).host} (${why}); start it or set TEST_DATABASE_ADMIN_URL`,
    );
  }
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database with the schema migrated, for a test file that needs tables no other file has
 * written to (the run's database is shared by all files), and for the run's own database. Pass
 * its `url` to `startWorker({ DATABASE_URL: db.url })` and `drop()` it in `afterAll`.
 * @param suffix `[a-z0-9_]+`, unique in the run, e.g. `${inject("stack").runId}_pages`
 * @param adminUrl @default env `TEST_DATABASE_ADMIN_URL`, else `DEFAULT_ADMIN_URL` (see `env.ts`)
 */
export async function createMigratedDatabase(
  suffix: string,
  adminUrl: string = adminUrlFromEnv(),
): Promise<TestDatabase> {
  const db = await createTestDatabase(suffix, adminUrl);
  try {
    await applyMigrations(db.url);
  } catch (err: unknown) {
    await db.drop();
    throw err;
  }
  return db;
}
