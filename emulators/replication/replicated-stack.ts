/**
 * The local stack over real replicas: a Redis primary + replica and a Postgres primary + hot
 * standby (both at lag 0), with the Upstash REST server's read region on the Redis replica and the
 * standby as the Worker's `DATABASE_REPLICA_URL`. Used by the bench's simulated topology and the
 * checker's replica profile; `close()` stops everything it started, in reverse order, and a failed
 * start stops what was already running.
 */
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../stack";
import { type PostgresPair, startPostgresPair } from "./postgres-pair";
import { type RedisPair, startRedisPair } from "./redis-pair";

/** A running replicated stack. */
export type ReplicatedStack = {
  redis: RedisPair;
  postgres: PostgresPair;
  local: LocalStack;
  close(): Promise<void>;
};

/** The stack options the replicas do not decide (token, key prefix, read consistency, log). */
export type ReplicatedStackOptions = Omit<
  LocalStackOptions,
  "redisUrl" | "redisReplicaUrl" | "databaseUrl" | "databaseReplicaUrl" | "pgliteDir"
>;

/** Starts both pairs (one after the other: on 2 cores they compete anyway) and the stack. */
export async function startReplicatedStack(
  opts: ReplicatedStackOptions = {},
): Promise<ReplicatedStack> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const stop of closers.splice(0).reverse()) {
      await stop().catch((err: unknown) => console.error("[replicas] stop failed:", err));
    }
  };
  try {
    const redis = await startRedisPair({ lagMs: 0 });
    closers.push(() => redis.close());
    const postgres = await startPostgresPair({ migrate: true, lagMs: 0 });
    closers.push(() => postgres.close());
    const local = await startLocalStack({
      ...opts,
      redisUrl: redis.primaryUrl,
      redisReplicaUrl: redis.replicaUrl,
      databaseUrl: postgres.primaryUrl,
      databaseReplicaUrl: postgres.replicaUrl,
    });
    closers.push(() => local.close());
    return { redis, postgres, local, close };
  } catch (err: unknown) {
    await close();
    throw err;
  }
}
