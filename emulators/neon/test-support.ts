/**
 * Helpers for the Neon emulator tests: a fresh database on the local Postgres per test file, and the
 * connection strings the driver and `pg` use for it.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The local Postgres every test talks to (trust auth). */
export const LOCAL_PG = { host: "127.0.0.1", port: 5432, user: "postgres", password: "postgres" };

/** A throw-away database. */
export type FreshDatabase = {
  name: string;
  /** What the Neon driver gets: `postgresql://postgres:postgres@127.0.0.1:5432/<name>`. */
  connectionString: string;
  /** `pg` client config for direct (reference) access. */
  pgConfig: pg.ClientConfig;
  /** A connected direct `pg` client (ended by `drop`). */
  direct: pg.Client;
  /** Drops the database, disconnecting whatever still uses it. */
  drop(): Promise<void>;
};

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...LOCAL_PG, database: "postgres" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `neon_emu_<random>` and connects a direct client to it. */
export async function createFreshDatabase(): Promise<FreshDatabase> {
  const name = `neon_emu_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const pgConfig: pg.ClientConfig = { ...LOCAL_PG, database: name };
  const direct = new pg.Client(pgConfig);
  await direct.connect();
  return {
    name,
    connectionString: `postgresql://${LOCAL_PG.user}:${LOCAL_PG.password}@${LOCAL_PG.host}:${LOCAL_PG.port}/${name}`,
    pgConfig,
    direct,
    async drop() {
      await direct.end().catch(() => {});
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Posts a raw `/sql` request, as the driver would, and returns status, headers and JSON body. */
export async function postSql(
  url: string,
  connectionString: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/sql`, {
    method: "POST",
    // Like workerd's fetch with a string body: text/plain, which must not matter.
    headers: {
      "content-type": "text/plain;charset=UTF-8",
      "Neon-Connection-String": connectionString,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as Record<string, unknown>,
  };
}
