import { beforeEach, describe, expect, it } from "vitest";
import { lockKeyOf } from "./keys.js";
import type { RedisPort } from "./redis-port.js";
import { countingPort } from "./testing/counting-port.js";
import { countingLoader, isolate, latch } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";

const key = "t:product:lamp";
const lamp = { id: "lamp", version: 1 };

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

/** Starts a holder in its own isolate whose load is held until the returned latch opens. */
async function holdLease() {
  const holder = isolate(redis);
  const started = latch();
  const release = latch();
  const read = holder.cache.get({ key }, async () => {
    started.open();
    await release.promise;
    return { found: true, value: lamp } as const;
  });
  await started.promise;
  return { holder, release, read };
}

describe("waiters", () => {
  it("polls until the holder's fill lands and answers from the cache", async () => {
    const { holder, release, read } = await holdLease();
    const port = countingPort(redis);
    let sleeps = 0;
    const waiter = isolate(redis, {
      port,
      sleep: async (ms) => {
        redis.now += ms;
        sleeps += 1;
        if (sleeps === 2) {
          release.open();
          await read;
          await holder.background.drain();
        }
      },
    });
    const load = countingLoader({ id: "lamp", version: 99 });

    const result = await waiter.cache.get({ key }, load);

    expect(result.outcome.status).toBe("waited");
    expect(result.loaded).toEqual({ found: true, value: lamp });
    expect(load.calls).toBe(0);
    expect(port.count).toBe(3);
  });

  it("times each poll from when the previous look was sent, so a reply read late is polled at once", async () => {
    const pollSleeps = async (replyDelayMs: number) => {
      const { holder, release, read } = await holdLease();
      const inner = countingPort(redis);
      let delayNext = true;
      const port: RedisPort = {
        ...inner,
        evalsha: async (...args) => {
          const reply = await inner.evalsha(...args);
          if (delayNext) {
            // The lock was seen at once, but this isolate reads the reply this much later.
            delayNext = false;
            redis.now += replyDelayMs;
          }
          return reply;
        },
      };
      const sleeps: number[] = [];
      const waiter = isolate(redis, {
        port,
        sleep: async (ms) => {
          sleeps.push(ms);
          redis.now += ms;
          release.open();
          await read;
          await holder.background.drain();
        },
      });

      const result = await waiter.cache.get({ key }, countingLoader({ id: "lamp", version: 99 }));

      expect(result.outcome.status).toBe("waited");
      expect(result.loaded).toEqual({ found: true, value: lamp });
      return sleeps;
    };

    // The first poll is due 10 ms after the look that found the lock (the harness has no jitter).
    expect(await pollSleeps(0)).toEqual([10]);
    redis = new MemoryRedis();
    redis.now = 1_000_000;
    expect(await pollSleeps(50)).toEqual([0]);
  });

  it("stays within 10 Redis calls and below the lock TTL when the holder never fills", async () => {
    await holdLease();
    const port = countingPort(redis);
    const startedAt = redis.now;
    const waiter = isolate(redis, { port, config: { lockTtlSeconds: 5 } });
    const load = countingLoader({ id: "lamp", version: 1 });

    const result = await waiter.cache.get({ key }, load);
    await waiter.background.drain();

    expect(port.count).toBeLessThanOrEqual(10);
    expect(redis.now - startedAt).toBeLessThan(5_000);
    expect(redis.now - startedAt).toBeLessThanOrEqual(800);
    expect(result.outcome.status).toBe("miss");
    expect(load.calls).toBe(1);
    // The direct load fills nothing: the lock is not ours.
    expect(redis.get(key)).toBeUndefined();
  });

  it("makes at most one direct load per isolate while the same dead lock stands", async () => {
    await holdLease();
    const waiter = isolate(redis);
    const load = countingLoader({ id: "lamp", version: 1 });

    const first = await waiter.cache.get({ key }, load);
    const second = await waiter.cache.get({ key }, load);

    expect(first.outcome.status).toBe("miss");
    expect(second.outcome.status).toBe("waited");
    expect(second.loaded).toEqual(first.loaded);
    expect(load.calls).toBe(1);
  });

  it("loads again once a writer replaced the dead lock's state", async () => {
    await holdLease();
    const waiter = isolate(redis);
    const load = countingLoader({ id: "lamp", version: 1 });
    await waiter.cache.get({ key }, load);

    await isolate(redis).cache.invalidate({ keys: [key] });
    const after = await waiter.cache.get({ key }, countingLoader({ id: "lamp", version: 2 }));

    expect(after.outcome.status).toBe("miss");
    expect(after.loaded).toEqual({ found: true, value: { id: "lamp", version: 2 } });
  });

  it("takes the lock itself when the lock vanished without a value", async () => {
    await holdLease();
    let sleeps = 0;
    const waiter = isolate(redis, {
      sleep: async (ms) => {
        redis.now += ms;
        sleeps += 1;
        if (sleeps === 1) {
          redis.now += 5_000; // the holder died; its lock expires
        }
      },
    });
    const load = countingLoader({ id: "lamp", version: 1 });

    const result = await waiter.cache.get({ key }, load);
    await waiter.background.drain();

    expect(result.outcome.status).toBe("miss");
    expect(load.calls).toBe(1);
    expect(redis.get(lockKeyOf(key))).toBeUndefined();
    expect(redis.get(key)).toBeDefined();
  });
});
