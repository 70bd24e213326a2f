/**
 * `npm run db:migrate`: applies pending migrations to the database named by `DATABASE_URL`.
 *
 * Works for a local Postgres and for Neon alike: Neon accepts ordinary Postgres TCP connections, so
 * its direct connection string (`postgres://…neon.tech/db?sslmode=require`) goes through `pg` and
 * the same drizzle migrator as local development.
 */
import { applyMigrations } from "../emulators/migrate";

const url = process.env.DATABASE_URL;
if (url === undefined || url === "") {
  console.error(
    "DATABASE_URL is not set (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/db)",
  );
  process.exit(2);
}

try {
  const result = await applyMigrations(url);
  const host = new URL(url).host;
  if (result.skipped) {
    console.log(`No migrations in migrations/ yet; nothing applied to ${host}.`);
  } else {
    console.log(`Applied ${result.applied} migration(s) to ${host}; ${result.total} recorded.`);
  }
} catch (err: unknown) {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
