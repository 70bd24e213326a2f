/**
 * Checks that a replica URL given to the local stack really replicates its primary, so that a
 * typo (two unrelated servers) fails at start instead of looking like endless replica lag.
 * @module
 */
import pg from "pg";
import { readReplicationState } from "../shared/redis-replication";
import { RespClient } from "../upstash-rest/resp-client";

/**
 * Resolves when `replicaUrl` is a Redis replica that has synced from `primaryUrl` (same
 * replication history: `master_replid`).
 * @throws Error saying what is wrong otherwise
 */
export async function verifyRedisReplica(primaryUrl: string, replicaUrl: string): Promise<void> {
  const primary = new RespClient(primaryUrl, { poolSize: 1 });
  const replica = new RespClient(replicaUrl, { poolSize: 1 });
  try {
    const [p, r] = await Promise.all([
      readReplicationState(primary),
      readReplicationState(replica),
    ]);
    if (r.role !== "slave") {
      throw new Error("REDIS_REPLICA_URL is not a replica (INFO replication says role:master)");
    }
    if (p.role !== "master" || p.replid !== r.replid) {
      throw new Error(
        "REDIS_REPLICA_URL does not replicate REDIS_URL (different replication ids; is its link up?)",
      );
    }
  } finally {
    await Promise.all([primary.close(), replica.close()]);
  }
}

/**
 * Resolves when `replicaUrl` is a Postgres hot standby of the cluster at `primaryUrl` (in
 * recovery, same system identifier).
 * @throws Error saying what is wrong otherwise
 */
export async function verifyPostgresStandby(primaryUrl: string, replicaUrl: string): Promise<void> {
  const sql =
    "SELECT pg_is_in_recovery() AS standby, system_identifier::text AS id FROM pg_control_system()";
  const [p, r] = await Promise.all([primaryUrl, replicaUrl].map((url) => queryOne(url, sql)));
  if (r?.standby !== true) {
    throw new Error("DATABASE_REPLICA_URL is not a hot standby (pg_is_in_recovery() is false)");
  }
  if (p?.standby !== false || p.id !== r.id) {
    throw new Error("DATABASE_REPLICA_URL is not a standby of DATABASE_URL (other cluster)");
  }
}

async function queryOne(
  url: string,
  sql: string,
): Promise<{ standby: boolean; id: string } | undefined> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<{ standby: boolean; id: string }>(sql)).rows[0];
  } finally {
    await client.end();
  }
}
