import { beforeEach, describe, expect, it } from "vitest";
import { countingLoader, isolate } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";

const key = "t:product:lamp";
const lamp = { id: "lamp", version: 1 };

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

describe("failure policy", () => {
  it("answers from the loader and fills nothing when Redis answers errors", async () => {
    const { cache, background } = isolate(redis);
    redis.fault = "error";
    const load = countingLoader(lamp);
    const result = await cache.get({ key }, load);
    await background.drain();
    redis.fault = "none";
    expect(result.outcome.status).toBe("bypass");
    expect(result.loaded).toEqual({ found: true, value: lamp });
    expect(redis.get(key)).toBeUndefined();
  });

  it("gives up on a hanging Redis within its timeout and answers from the loader", async () => {
    const { cache } = isolate(redis, { config: { redisTimeoutMs: 30 } });
    redis.fault = "hang";
    const started = performance.now();
    const result = await cache.get({ key }, countingLoader(lamp));
    const elapsed = performance.now() - started;
    redis.fault = "none";
    expect(result.outcome.status).toBe("bypass");
    expect(elapsed).toBeLessThan(500);
  });

  it("waits once more when its own timer fired late, so a reply held up by a stalled isolate still counts", async () => {
    const { cache } = isolate(redis, { config: { redisTimeoutMs: 40 } });
    redis.fault = "late-reply";
    redis.lateMs = 50;
    // The isolate's clock jumps 85 ms while the call is out, as when one CPU ran other requests:
    // the 40 ms timer then fires 45 ms late and waits 20 ms more, past the reply at 50 ms.
    setTimeout(() => {
      redis.now += 85;
    }, 5);
    const result = await cache.get({ key }, countingLoader(lamp));
    redis.fault = "none";
    expect(result.outcome.status).toBe("miss");
  });

  it("gives up at the timeout when its timer fired on time, however close the reply", async () => {
    const { cache } = isolate(redis, { config: { redisTimeoutMs: 40 } });
    redis.fault = "late-reply";
    redis.lateMs = 50;
    const result = await cache.get({ key }, countingLoader(lamp));
    redis.fault = "none";
    expect(result.outcome.status).toBe("bypass");
  });

  it("frees the lock its timed-out read took, so others need not wait out the lock TTL", async () => {
    const { cache, background } = isolate(redis, { config: { redisTimeoutMs: 30 } });
    redis.fault = "late-reply";
    redis.lateMs = 100;
    const result = await cache.get({ key }, countingLoader(lamp));
    expect(result.outcome.status).toBe("bypass");
    await background.drain();
    redis.fault = "none";
    // The read ran and took the lock, though its reply came too late; the release freed it.
    expect(redis.calls).toEqual(["readOrLease", "release"]);
    expect(redis.get(`${key}:lock`)).toBeUndefined();
    expect(redis.get(key)).toBeUndefined();
  });

  it("treats a reply of the wrong shape as Redis trouble, never as data", async () => {
    const port = {
      evalsha: async () => null,
      eval: async () => null,
    };
    const { cache, breaker } = isolate(redis, { port });
    const result = await cache.get({ key }, countingLoader(lamp));
    expect(result.outcome.status).toBe("bypass");
    expect(result.loaded).toEqual({ found: true, value: lamp });
    await cache.get({ key }, countingLoader(lamp));
    await cache.get({ key }, countingLoader(lamp));
    await cache.get({ key }, countingLoader(lamp));
    await cache.get({ key }, countingLoader(lamp));
    expect(breaker.state).toBe("open");
  });

  it("opens the circuit after five failures and stops calling Redis", async () => {
    const { cache, breaker } = isolate(redis);
    redis.fault = "error";
    for (let i = 0; i < 5; i++) {
      await cache.get({ key: `${key}${i}` }, countingLoader(lamp));
    }
    expect(breaker.state).toBe("open");
    redis.calls.length = 0;
    redis.fault = "none";

    const result = await cache.get({ key }, countingLoader(lamp));

    expect(result.outcome).toMatchObject({ status: "bypass", redisCalls: 0 });
    expect(redis.calls).toEqual([]);
  });

  it("tries Redis again after the open period and closes on success", async () => {
    const { cache, breaker, background } = isolate(redis);
    redis.fault = "error";
    for (let i = 0; i < 5; i++) {
      await cache.get({ key: `${key}${i}` }, countingLoader(lamp));
    }
    redis.fault = "none";
    redis.now += 10_000;

    const result = await cache.get({ key }, countingLoader(lamp));
    await background.drain();

    expect(result.outcome.status).toBe("miss");
    expect(breaker.state).toBe("closed");
  });

  it("rejects an invalidation that could not be applied, so the outbox keeps it", async () => {
    const { cache } = isolate(redis);
    redis.fault = "error";
    await expect(cache.invalidate({ keys: [key] })).rejects.toThrow(/redis unavailable/);
  });

  it("propagates the loader's error when Redis is down too", async () => {
    const { cache } = isolate(redis);
    redis.fault = "error";
    await expect(
      cache.get({ key }, async () => {
        throw new Error("postgres down");
      }),
    ).rejects.toThrow("postgres down");
  });
});
