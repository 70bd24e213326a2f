/**
 * One `pg.Pool` per distinct login target, each session prepared with the settings Neon's text output
 * depends on.
 */
import pg from "pg";
import { type PgTarget, targetKey } from "./connection-target";

/**
 * Session settings applied to every emulator-side connection, so that text output (dates, intervals,
 * bytea, timestamptz offsets) is the same whatever the server's configuration says.
 */
export const SESSION_SETTINGS_SQL =
  "SET DateStyle = ISO; SET IntervalStyle = postgres; SET bytea_output = hex; " +
  "SET client_encoding = UTF8; SET TimeZone = 'UTC'";

/** Options for {@link PoolRegistry}. */
export type PoolRegistryOptions = {
  /** Connections per target. @default 10 */
  max?: number;
  /** Idle connections are closed after this many ms. @default 10000 */
  idleTimeoutMillis?: number;
};

/** Keeps and closes the pools of one server. */
export class PoolRegistry {
  readonly #pools = new Map<string, pg.Pool>();
  readonly #options: Required<PoolRegistryOptions>;

  constructor(options: PoolRegistryOptions = {}) {
    this.#options = {
      max: options.max ?? 10,
      idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    };
  }

  /** The pool for `target`, created on first use. */
  poolFor(target: PgTarget): pg.Pool {
    const key = targetKey(target);
    const existing = this.#pools.get(key);
    if (existing) {
      return existing;
    }
    const pool = new pg.Pool({
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password,
      ...(target.applicationName === undefined ? {} : { application_name: target.applicationName }),
      max: this.#options.max,
      idleTimeoutMillis: this.#options.idleTimeoutMillis,
      allowExitOnIdle: true,
      // Awaited by pg-pool before the client is handed out, so no query can beat the settings.
      onConnect: async (client) => {
        // pg emits 'error' on a checked-out client whose server vanishes; without a listener that
        // would crash the emulator. The failing query still rejects, which is what we report.
        client.on("error", () => {});
        await client.query(SESSION_SETTINGS_SQL);
      },
    });
    // An idle client losing its server must not crash the emulator; the pool drops it.
    pool.on("error", () => {});
    this.#pools.set(key, pool);
    return pool;
  }

  /** Ends every pool. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  }
}
