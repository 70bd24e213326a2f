/**
 * CLI: `PORT=4444 tsx emulators/neon/main.ts` starts the local Neon stand-in (default: a free port)
 * and prints its URL. Env `NEON_ALLOW_HOSTS` (comma-separated) overrides the loopback allow-list;
 * `NEON_UPSTREAM=host:port` sends every connection to one Postgres.
 */
import { startNeonServer } from "./server";

function upstreamFromEnv(value: string | undefined): { host: string; port: number } | undefined {
  if (!value) {
    return undefined;
  }
  const colon = value.lastIndexOf(":");
  return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
}

const upstream = upstreamFromEnv(process.env.NEON_UPSTREAM);
const server = await startNeonServer({
  port: Number(process.env.PORT ?? 0),
  ...(process.env.NEON_ALLOW_HOSTS ? { allowHosts: process.env.NEON_ALLOW_HOSTS.split(",") } : {}),
  ...(upstream ? { upstream } : {}),
});
console.log(`neon emulator listening on ${server.url} (sql: ${server.url}/sql, ws: /v2)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
