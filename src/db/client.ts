/**
 * The database handle: drizzle-orm's `neon-http` driver over `@neondatabase/serverless`, one HTTP
 * round trip per query (and per `db.batch`, which runs as one transaction).
 *
 * @module
 */
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";

/** The Drizzle database used by every query in `src/db/`. */
export type Db = NeonHttpDatabase<Record<string, never>>;

/** Options of {@link createDb}. */
export type DbOptions = {
  /** Postgres connection string (a Neon one in production). */
  url: string;
  /**
   * `host:port` of a local Neon-protocol server (`NEON_LOCAL_PROXY`). Unset in production, where
   * the driver derives Neon's endpoints from the connection string. @default undefined
   */
  localProxy?: string;
  /** Each query is abandoned after this many ms (surfaces as "database unavailable"). @default 3000 */
  timeoutMs?: number;
};

/**
 * Builds the Drizzle handle. No I/O happens here: queries connect lazily.
 *
 * `neonConfig.fetchEndpoint`, `wsProxy` & co. are module-level settings of the driver, so they are
 * (re)applied here from one flag: local development and production run the same code path, only
 * the endpoint differs.
 */
export function createDb(opts: DbOptions): Db {
  const timeoutMs = opts.timeoutMs ?? 3000;
  if (opts.localProxy !== undefined) {
    const proxy = opts.localProxy;
    neonConfig.fetchEndpoint = `http://${proxy}/sql`;
    neonConfig.wsProxy = (host, port) => `${proxy}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
  }
  // The HTTP driver has no timeout of its own: without one, a hung Postgres would hold the request
  // until the client gives up. A fresh signal per call (never a shared static one).
  neonConfig.fetchFunction = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  return drizzle({ client: neon(opts.url) });
}
