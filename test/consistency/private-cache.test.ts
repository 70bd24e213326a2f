/**
 * The forgetful profile's private Redis and the Upstash REST server in front of it: a restart from
 * a snapshot brings older data back on the same port while the Upstash server keeps answering,
 * and eviction pressure really evicts, the run's keys among the filler's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEviction } from "../../check/forgetful/eviction";
import { type PrivateCache, startPrivateCache } from "../../check/forgetful/private-cache";

let cache: PrivateCache;
beforeAll(async () => {
  cache = await startPrivateCache();
});
afterAll(async () => {
  await cache.close();
});

/** One command through the Upstash REST server: HTTP status and result. */
async function rest(command: (string | number)[]): Promise<[number, unknown]> {
  const res = await fetch(cache.bindings.UPSTASH_REDIS_REST_URL, {
    method: "POST",
    headers: { authorization: `Bearer ${cache.bindings.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
  });
  const body = (await res.json()) as { result?: unknown; error?: unknown };
  return [res.status, body.result ?? body.error];
}

describe("the forgetful profile's private Redis", () => {
  it("never is the shared Redis", () => {
    expect(cache.redis.port).not.toBe(6379);
  });

  it("comes back from a snapshot with the older data, and the Upstash server answers every request across the restart", async () => {
    expect(await rest(["SET", "fg:k", "old"])).toEqual([200, "OK"]);
    const snapshot = await cache.redis.snapshot();
    expect(snapshot.keys).toBeGreaterThanOrEqual(1);
    expect(await rest(["SET", "fg:k", "new"])).toEqual([200, "OK"]);
    expect(await rest(["SET", "fg:later", "1"])).toEqual([200, "OK"]);
    await cache.redis.restartFrom(snapshot);
    const answers = [];
    for (let i = 0; i < 5; i++) {
      answers.push(await rest(["GET", "fg:k"]));
    }
    expect(answers).toEqual(Array.from({ length: 5 }, () => [200, "old"]));
    expect(await rest(["EXISTS", "fg:later"])).toEqual([200, 0]);
  });

  it("evicts under allkeys-lru and allkeys-random, counting the run's evicted keys by kind", async () => {
    await cache.redis.command("FLUSHDB");
    const prefix = "fgrun:";
    for (const policy of ["allkeys-lru", "allkeys-random"] as const) {
      const keys = ["a", "b", "c:lock", "group:pages", "watermark"].map((k) => `${prefix}${k}`);
      await cache.redis.pipeline(keys.map((k) => ["SET", k, "x".repeat(4096)]));
      const start = await cache.redis.evictedKeys();
      const phase = await startEviction(cache.redis, policy, prefix, { headroomBytes: 64 * 1024 });
      // Until the filler has pushed out a few hundred keys (it writes 1000 a second).
      for (let i = 0; i < 100 && (await cache.redis.evictedKeys()) - start < 300; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const report = await phase.stop();
      expect(report.policy).toBe(policy);
      expect(report.evictedKeys, policy).toBeGreaterThan(0);
      expect(report.fillerErrors, policy).toBe(0);
      // The phase gives the memory back: no limit, no eviction.
      const memory = await cache.redis.command("CONFIG", "GET", "maxmemory");
      const limit = memory.kind === "array" ? memory.items[1] : undefined;
      expect(limit?.kind === "bulk" ? limit.value.toString() : "?").toBe("0");
      if (policy === "allkeys-lru") {
        // Untouched since written, the run's keys are as old as the first filler keys.
        expect(Object.values(report.evictedRunKeys).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
    }
  });

  it("counts evictions across restarts (INFO starts again from zero)", async () => {
    const before = await cache.redis.evictedKeys();
    expect(before).toBeGreaterThan(0);
    await cache.redis.restartFrom(await cache.redis.snapshot());
    expect(await cache.redis.evictedKeys()).toBe(before);
  });
});
