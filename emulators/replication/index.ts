/**
 * Local replicas for tests, the bench, the checker and `npm run dev`: a Redis primary + replica
 * pair with a lag relay on its replication link, and a PostgreSQL primary + hot standby pair with
 * `recovery_min_apply_delay` as its lag knob. Both are private (own processes, temporary
 * directories, free loopback ports) and removed on `close()`. See docs/replicas.md.
 *
 * ```ts
 * const redis = await startRedisPair({ lagMs: 200 });
 * const postgres = await startPostgresPair({ migrate: true, lagMs: 200 });
 * const upstash = await startUpstashRestServer({
 *   redisUrl: redis.primaryUrl, replicaUrl: redis.replicaUrl, token,
 * });
 * redis.setLag(0); await postgres.setLag(0);
 * ```
 * @module
 */
export { checkLag, type LagRelay, type LagRelayOptions, startLagRelay } from "./lag-relay";
export { type PostgresPair, type PostgresPairOptions, startPostgresPair } from "./postgres-pair";
export {
  type RedisOffsets,
  type RedisPair,
  type RedisPairOptions,
  startRedisPair,
} from "./redis-pair";
export {
  type ReplicatedStack,
  type ReplicatedStackOptions,
  startReplicatedStack,
} from "./replicated-stack";
export { verifyPostgresStandby, verifyRedisReplica } from "./verify";
