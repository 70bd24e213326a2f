/**
 * An embedded Postgres for machines without one: PGlite (Postgres compiled to WASM) persisted in a
 * folder, served over the Postgres wire protocol by `@electric-sql/pglite-socket`, so `pg`, the Neon
 * `/sql` handler and the WebSocket relay use it like a real server.
 *
 * Limits (PGlite is ONE backend session behind a multiplexer):
 * - Several TCP connections are accepted (`maxConnections`), but their messages run one at a time.
 *   pglite-socket keeps a connection's messages together while the backend is inside a transaction
 *   (explicit, or the implicit one of an extended-protocol Parse…Sync), so pooled `pg` clients and
 *   relay clients interleave safely at statement/transaction granularity.
 * - While one connection holds an open transaction, every other connection waits: a test that opens
 *   a transaction and then awaits a query on another connection deadlocks.
 * - Session state is shared by all connections: `SET`, temporary tables, named prepared statements
 *   and advisory locks leak between them (the Neon server's session settings are harmless there).
 * - One database (`postgres`), user `postgres`, any password; no TLS; `CREATE DATABASE` is not usable.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Options for {@link startEmbeddedPostgres}. */
export type EmbeddedPostgresOptions = {
  /** Folder holding the database files; created when missing, reused when present. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Concurrent client connections accepted by the multiplexer. @default 64 */
  maxConnections?: number;
};

/** A running embedded Postgres. */
export type EmbeddedPostgres = {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** Stops the socket server, then closes (and flushes) the database. */
  close(): Promise<void>;
};

/** Opens (or creates) the database in `dataDir` and serves it on a local port. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: options.port ?? 0,
    // The default of 1 would answer a second pooled connection with "Too many connections".
    maxConnections: options.maxConnections ?? 64,
  });
  try {
    await server.start();
  } catch (err: unknown) {
    await db.close();
    throw err;
  }
  const port = Number(server.getServerConn().split(":").at(-1));
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      await server.stop();
      await db.close();
    },
  };
}
