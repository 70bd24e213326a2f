/**
 * The local stack (what `npm run dev` runs) with replicas: the Redis replica becomes the Upstash
 * server's read region, the standby becomes the Worker's `DATABASE_REPLICA_URL`, and a replica
 * that does not replicate the given primary is refused at start. Also the HTTP lag knob.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LocalStack, startLocalStack } from "../stack";
import { startReplicationControl } from "./control";
import { type PostgresPair, startPostgresPair } from "./postgres-pair";
import { type RedisPair, startRedisPair } from "./redis-pair";

let redis: RedisPair;
let postgres: PostgresPair;
let stack: LocalStack;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedisPair(), startPostgresPair()]);
  stack = await startLocalStack({
    redisUrl: redis.primaryUrl,
    redisReplicaUrl: redis.replicaUrl,
    databaseUrl: postgres.primaryUrl,
    databaseReplicaUrl: postgres.replicaUrl,
    readConsistency: "nearest",
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([redis?.close(), postgres?.close()]);
});

async function command(body: unknown[]): Promise<unknown> {
  const res = await fetch(stack.bindings.UPSTASH_REDIS_REST_URL ?? "", {
    method: "POST",
    headers: { authorization: `Bearer ${stack.bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe("startLocalStack with replicas", () => {
  test("passes the standby and the consistency mode to the Worker, and the replica to Upstash", async () => {
    expect(stack.bindings).toMatchObject({
      DATABASE_URL: postgres.primaryUrl,
      DATABASE_REPLICA_URL: postgres.replicaUrl,
      READ_CONSISTENCY: "nearest",
    });
    expect(stack.bindings.REDIS_REPLICA_URL).toBeUndefined();
    expect(stack.migrations.applied).toBeGreaterThan(0);
    const before = { ...stack.upstash.replica?.stats };
    expect(await command(["set", "stack:k", "v"])).toBe("OK");
    expect(await command(["get", "stack:k"])).toBeDefined();
    expect(stack.upstash.replica?.stats.primary).toBe((before.primary ?? 0) + 1);
    expect(stack.upstash.replica?.stats.replica).toBe((before.replica ?? 0) + 1);
  });

  test("refuses replicas that do not replicate the given primaries, or have none", async () => {
    await expect(
      startLocalStack({ redisReplicaUrl: redis.replicaUrl, databaseUrl: postgres.primaryUrl }),
    ).rejects.toThrow("REDIS_REPLICA_URL needs REDIS_URL");
    await expect(
      startLocalStack({
        redisUrl: redis.replicaUrl,
        redisReplicaUrl: redis.primaryUrl,
        databaseUrl: postgres.primaryUrl,
      }),
    ).rejects.toThrow("REDIS_REPLICA_URL is not a replica");
    await expect(
      startLocalStack({
        redisUrl: redis.primaryUrl,
        databaseUrl: postgres.primaryUrl,
        databaseReplicaUrl: postgres.primaryUrl,
      }),
    ).rejects.toThrow("DATABASE_REPLICA_URL is not a hot standby");
  });
});

describe("the HTTP lag knob", () => {
  test("reads and switches both lags, and a bad request changes nothing", async () => {
    const control = await startReplicationControl({ redis, postgres });
    try {
      const post = (body: string) => fetch(control.url, { method: "POST", body });
      expect(await (await fetch(control.url)).json()).toEqual({ redisLagMs: 0, postgresLagMs: 0 });
      const set = await post(JSON.stringify({ redisLagMs: 120, postgresLagMs: 80 }));
      expect([set.status, await set.json()]).toEqual([200, { redisLagMs: 120, postgresLagMs: 80 }]);
      expect([redis.lagMs, postgres.lagMs]).toEqual([120, 80]);
      const bad = await post(JSON.stringify({ redisLagMs: 0, postgresLagMs: -5 }));
      expect(bad.status).toBe(400);
      expect([redis.lagMs, postgres.lagMs]).toEqual([120, 80]);
      expect((await post("not json")).status).toBe(400);
      await post(JSON.stringify({ redisLagMs: 0, postgresLagMs: 0 }));
      expect([redis.lagMs, postgres.lagMs]).toEqual([0, 0]);
    } finally {
      await control.close();
    }
  });
});
