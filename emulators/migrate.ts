/**
 * Applies the drizzle-kit migrations in `migrations/` to a Postgres database over plain TCP (`pg`).
 *
 * Used by `npm run dev`, `npm run db:migrate` and the integration-test setup. drizzle records what
 * it applied in `drizzle.__drizzle_migrations`, so running it again applies only what is pending.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

/** The repository's migrations folder. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

/** Options of {@link applyMigrations}. */
export type MigrateOptions = {
  /** Folder holding `meta/_journal.json` and the `NNNN_*.sql` files. @default MIGRATIONS_FOLDER */
  migrationsFolder?: string;
};

/** What {@link applyMigrations} did. */
export type MigrateResult = {
  /** Migrations applied by this call. */
  applied: number;
  /** Migrations recorded in the database after this call. */
  total: number;
  /** `true` when there was no journal (no migrations written yet): nothing was done. */
  skipped: boolean;
};

// Arbitrary constant: serialises concurrent migrators (dev + db:migrate) on the same database.
const MIGRATION_LOCK_ID = 727_277_001;

/**
 * Applies every pending migration to `databaseUrl` (any `postgres://` URL that `pg` can reach,
 * including a Neon direct URL with `sslmode=require`). Idempotent. A missing or empty migrations
 * folder is not an error: it returns `{ skipped: true }`.
 */
export async function applyMigrations(
  databaseUrl: string,
  opts: MigrateOptions = {},
): Promise<MigrateResult> {
  const migrationsFolder = opts.migrationsFolder ?? MIGRATIONS_FOLDER;
  if (!existsSync(`${migrationsFolder}/meta/_journal.json`)) {
    return { applied: 0, total: 0, skipped: true };
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    const before = await countApplied(client);
    // One client for lock + migrator: the lock is session-scoped, so both must share the session.
    await migrate(drizzle(client), { migrationsFolder });
    const total = await countApplied(client);
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]);
    return { applied: total - before, total, skipped: false };
  } finally {
    await client.end();
  }
}

async function countApplied(client: pg.Client): Promise<number> {
  const exists = await client.query<{ t: string | null }>(
    "SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t",
  );
  if (exists.rows[0]?.t == null) {
    return 0;
  }
  const res = await client.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM drizzle.__drizzle_migrations",
  );
  return Number(res.rows[0]?.n ?? 0);
}
