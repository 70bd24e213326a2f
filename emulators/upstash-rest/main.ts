/**
 * Manual runner: `REDIS_URL=redis://127.0.0.1:6379 UPSTASH_TOKEN=dev PORT=8079 tsx
 * emulators/upstash-rest/main.ts`. Defaults: Redis at 127.0.0.1:6379 db 0, token `local-token`,
 * a free port. `REDIS_REPLICA_URL` (a replica of `REDIS_URL`) adds a read region. Prints the URL
 * and stops on SIGINT / SIGTERM.
 * @module
 */
import { startUpstashRestServer } from "./server";

const server = await startUpstashRestServer({
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  token: process.env.UPSTASH_TOKEN ?? "local-token",
  port: Number(process.env.PORT ?? 0),
  ...(process.env.REDIS_REPLICA_URL ? { replicaUrl: process.env.REDIS_REPLICA_URL } : {}),
});
console.log(`Upstash REST emulator listening on ${server.url} (token ${server.token})`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
