/**
 * CLI: `npx tsx emulators/replication/main.ts` starts a Redis primary + replica pair and a
 * PostgreSQL primary + hot standby pair (migrations applied), prints the environment for
 * `npm run dev`, and serves the lag knob over HTTP until Ctrl-C. See docs/replicas.md.
 *
 * Environment: `REDIS_LAG_MS`, `POSTGRES_LAG_MS` (initial lag, default 0), `CONTROL_PORT`
 * (default a free port), `REPLICAS` (`redis`, `postgres` or both comma-separated; default both).
 * @module
 */
import { startReplicationControl } from "./control";
import { type PostgresPair, startPostgresPair } from "./postgres-pair";
import { type RedisPair, startRedisPair } from "./redis-pair";

const wanted = new Set((process.env.REPLICAS ?? "redis,postgres").split(",").map((s) => s.trim()));
const lag = (name: string) => Number(process.env[name] ?? 0);

let redis: RedisPair | undefined;
let postgres: PostgresPair | undefined;
const stop = async (code: number) => {
  await redis?.close();
  await postgres?.close();
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void stop(0));
}

try {
  if (wanted.has("redis")) {
    redis = await startRedisPair({ lagMs: lag("REDIS_LAG_MS") });
  }
  if (wanted.has("postgres")) {
    postgres = await startPostgresPair({ migrate: true, lagMs: lag("POSTGRES_LAG_MS") });
  }
  const control = await startReplicationControl(
    { ...(redis ? { redis } : {}), ...(postgres ? { postgres } : {}) },
    Number(process.env.CONTROL_PORT ?? 0),
  );
  const env = [
    ...(redis ? [`REDIS_URL=${redis.primaryUrl}`, `REDIS_REPLICA_URL=${redis.replicaUrl}`] : []),
    ...(postgres
      ? [`DATABASE_URL=${postgres.primaryUrl}`, `DATABASE_REPLICA_URL=${postgres.replicaUrl}`]
      : []),
    "READ_CONSISTENCY=nearest",
  ];
  console.log(
    [
      "Replicas running. In another shell:",
      "",
      `  ${env.join(" \\\n  ")} \\\n  npm run dev`,
      "",
      `Lag knob: curl ${control.url}`,
      `          curl -X POST ${control.url} -d '{"redisLagMs": 300, "postgresLagMs": 300}'`,
      "Ctrl-C stops the replicas and removes their data.",
    ].join("\n"),
  );
} catch (error: unknown) {
  console.error(error instanceof Error ? error.message : String(error));
  await stop(1);
}
