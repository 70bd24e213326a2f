/**
 * Points the real `@neondatabase/serverless` driver at a local Neon stand-in. Shared by the Worker's
 * local configuration and the tests; depends on nothing but the driver, so it bundles for workerd.
 */
import { neonConfig } from "@neondatabase/serverless";

/**
 * Sends `neon()` / drizzle `neon-http` to `http://<hostPort>/sql` and `Pool` / `Client` / drizzle
 * `neon-serverless` through `ws://<hostPort>/v2?address=<db host>:<db port>`.
 *
 * `neonConfig` is module-global: call this before the first query. `pipelineConnect` is switched off
 * because pipelining the password only works with `password` auth in pg_hba (trust/md5/scram fail).
 *
 * @param hostPort the local server, e.g. `"127.0.0.1:8787"` (no scheme)
 */
export function pointNeonAtLocal(hostPort: string): void {
  neonConfig.fetchEndpoint = `http://${hostPort}/sql`;
  neonConfig.wsProxy = (host: string, port: number | string) =>
    `${hostPort}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
}
