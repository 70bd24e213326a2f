/**
 * The replicas of one checker path: a private Redis primary + replica (`startRedisPair`, a lag
 * relay on the replication link) and a private Postgres primary + hot standby
 * (`startPostgresPair`, `recovery_min_apply_delay`), with the local stack over them: an Upstash
 * REST server whose read region is the Redis replica, and a Neon server that reaches both
 * Postgres servers (the Worker's `DATABASE_URL` is the primary, `DATABASE_REPLICA_URL` the
 * standby). Nothing is shared with the other profiles or the machine's own servers, and `close()`
 * stops every process it started.
 */
import { startReplicatedStack } from "../../emulators/replication";
import type { PostgresPair } from "../../emulators/replication/postgres-pair";
import type { RedisPair } from "../../emulators/replication/redis-pair";
import { CONTROL_PATH } from "../../emulators/shared/faults";
import type { KnobUrls } from "../consistency/knobs";

/** Where cache reads run (`READ_CONSISTENCY`, rule 8). */
export type ReadMode = "strong" | "nearest";

/** A running replica world. */
export type PrivateReplicas = {
  redis: RedisPair;
  postgres: PostgresPair;
  /**
   * The Worker bindings that point isolates at this world (Upstash, Neon, `DATABASE_URL`,
   * `DATABASE_REPLICA_URL`, `READ_CONSISTENCY`, the token and key prefix given).
   */
  bindings: Record<string, string>;
  /** The Postgres primary: final states are read here, never from the standby. */
  databaseUrl: string;
  /** The Upstash and Neon servers' fault control endpoints. */
  knobUrls: KnobUrls;
  close(): Promise<void>;
};

/** Options of {@link startPrivateReplicas}. */
export type PrivateReplicasOptions = {
  mode: ReadMode;
  /** The Worker's `API_TOKEN` (the checker's writes carry it). */
  apiToken: string;
  /** The Worker's `CACHE_KEY_PREFIX`. */
  cacheKeyPrefix: string;
};

/** Starts both pairs (lag 0) and the stack over them; on failure stops what was started. */
export async function startPrivateReplicas(opts: PrivateReplicasOptions): Promise<PrivateReplicas> {
  const { redis, postgres, local, close } = await startReplicatedStack({
    apiToken: opts.apiToken,
    cacheKeyPrefix: opts.cacheKeyPrefix,
    readConsistency: opts.mode,
  });
  return {
    redis,
    postgres,
    bindings: local.bindings,
    databaseUrl: postgres.primaryUrl,
    knobUrls: {
      redisFaultsUrl: `${local.upstash.url}${CONTROL_PATH}`,
      dbFaultsUrl: `${local.neon.url}${CONTROL_PATH}`,
    },
    close,
  };
}
