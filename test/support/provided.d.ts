/**
 * What `test/global-setup.ts` hands to the integration tests (`inject("stack")`).
 * Everything is plain data: it crosses from the setup process to the test workers.
 */
import "vitest";

/** The shared, per-run environment of the integration tests. */
export type ProvidedStack = {
  /** Random id of this test run (also part of the database name and the key prefix). */
  runId: string;
  /** The fresh Postgres database of this run (`postgres://…/eca_test_<runId>`). */
  databaseUrl: string;
  /** Its name. */
  databaseName: string;
  /** The Redis behind the Upstash REST server. */
  redisUrl: string;
  /** Prefix of every Redis key this run's Workers write (`CACHE_KEY_PREFIX`). */
  cacheKeyPrefix: string;
  /** Upstash REST server base URL and token. */
  upstashUrl: string;
  upstashToken: string;
  /** Neon server base URL and its `host:port` (`NEON_LOCAL_PROXY`). */
  neonUrl: string;
  neonHostPort: string;
  /** Fault control endpoints (`<url>/__control/faults`): GET reads, POST merges, DELETE resets. */
  redisFaultsUrl: string;
  dbFaultsUrl: string;
  /** The bearer token for writes (`API_TOKEN`). */
  apiToken: string;
  /** The bundled Worker (ESM), or `""` when `src/index.ts` does not exist yet. */
  workerScriptPath: string;
  /** `compatibility_date` and `compatibility_flags` of wrangler.toml. */
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Every binding a Worker of this run gets: wrangler.toml `[vars]` + the stack's bindings. */
  bindings: Record<string, string>;
};

declare module "vitest" {
  // Module augmentation only works on an interface, hence not a `type`.
  // biome-ignore lint/style/useConsistentTypeDefinitions: declaration merging needs an interface
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}
