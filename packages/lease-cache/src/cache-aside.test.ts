import { beforeEach, describe, expect, it } from "vitest";
import { decodeEntry } from "./envelope.js";
import { lockKeyOf } from "./keys.js";
import { FILL } from "./scripts.js";
import { countingLoader, isolate, latch } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";

const key = "t:product:lamp";
const lamp = { id: "lamp", version: 1 };

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

describe("read-through", () => {
  it("answers a hit with exactly one Redis call and no load", async () => {
    const { cache, background } = isolate(redis);
    await cache.get({ key }, countingLoader(lamp));
    await background.drain();
    redis.calls.length = 0;

    const load = countingLoader(lamp);
    const result = await cache.get({ key }, load);

    expect(result.loaded).toEqual({ found: true, value: lamp });
    expect(result.outcome).toMatchObject({ status: "hit", redisCalls: 1 });
    expect(load.calls).toBe(0);
    expect(redis.calls).toEqual(["readOrLease"]);
  });

  it("takes the lock in the read's own call on a miss and fills off the critical path", async () => {
    const fillGate = latch();
    const port = {
      evalsha: async (sha1: string, keys: string[], args: string[]) => {
        if (sha1 === FILL.redis.sha1) {
          await fillGate.promise;
        }
        return redis.evalsha(sha1, keys, args);
      },
      eval: (source: string, keys: string[], args: string[]) => redis.eval(source, keys, args),
    };
    const { cache, background } = isolate(redis, { port });
    const load = countingLoader(lamp);

    const result = await cache.get({ key }, load);

    // Answered while the fill is still held back.
    expect(result.outcome).toMatchObject({ status: "miss", redisCalls: 1 });
    expect(load.calls).toBe(1);
    expect(redis.calls).toEqual(["readOrLease"]);
    expect(redis.get(lockKeyOf(key))).toBeDefined();
    fillGate.open();
    await background.drain();
    expect(redis.calls).toEqual(["readOrLease", "fill"]);
    expect(redis.get(lockKeyOf(key))).toBeUndefined();
    expect(decodeEntry(redis.get(key) ?? "")?.loaded).toEqual({ found: true, value: lamp });
  });

  it("caches an absent row as a miss with the negative TTL, distinct from a missing key", async () => {
    const { cache, background } = isolate(redis, { config: { negativeTtlSeconds: 30 } });
    await cache.get({ key }, countingLoader(undefined));
    await background.drain();
    expect(redis.pttl(key)).toBe(30_000);

    const load = countingLoader(lamp);
    const again = await cache.get({ key }, load);
    expect(again.loaded).toEqual({ found: false });
    expect(again.outcome.status).toBe("hit");
    expect(load.calls).toBe(0);

    redis.now += 30_000;
    const later = await cache.get({ key }, load);
    expect(later.outcome.status).toBe("miss");
    expect(later.loaded).toEqual({ found: true, value: lamp });
  });

  it("keeps a cached null value apart from a cached miss", async () => {
    const { cache, background } = isolate(redis);
    await cache.get({ key }, async () => ({ found: true, value: null }));
    await background.drain();
    const result = await cache.get({ key }, countingLoader(lamp));
    expect(result.loaded).toEqual({ found: true, value: null });
    expect(result.outcome.status).toBe("hit");
  });

  it("sets the entry's lifetime to the fresh period plus the stale window", async () => {
    const { cache, background } = isolate(redis, { config: { ttlSeconds: 300, staleSeconds: 60 } });
    await cache.get({ key }, countingLoader(lamp));
    await background.drain();
    expect(redis.pttl(key)).toBe(360_000);
  });

  it("releases its lock when the loader fails, so waiters need not wait for the TTL", async () => {
    const { cache, background } = isolate(redis);
    await expect(
      cache.get({ key }, async () => {
        throw new Error("postgres down");
      }),
    ).rejects.toThrow("postgres down");
    await background.drain();
    expect(redis.get(lockKeyOf(key))).toBeUndefined();
    expect(redis.get(key)).toBeUndefined();
  });
});

describe("leases", () => {
  it("does not refill a key invalidated during its load", async () => {
    const reader = isolate(redis);
    const writer = isolate(redis);
    const loadStarted = latch();
    const oldRowRead = latch<{ id: string; version: number }>();

    const read = reader.cache.get({ key }, async () => {
      loadStarted.open();
      return { found: true, value: await oldRowRead.promise };
    });
    await loadStarted.promise;
    // The writer commits version 2 and invalidates while the reader still holds version 1.
    await writer.cache.invalidate({ keys: [key] });
    oldRowRead.open({ id: "lamp", version: 1 });

    expect((await read).loaded).toEqual({ found: true, value: { id: "lamp", version: 1 } });
    await reader.background.drain();
    expect(redis.get(key)).toBeUndefined();

    const next = await isolate(redis).cache.get(
      { key },
      countingLoader({ id: "lamp", version: 2 }),
    );
    expect(next.outcome.status).toBe("miss");
    expect(next.loaded).toEqual({ found: true, value: { id: "lamp", version: 2 } });
  });

  it("does not fill a cached miss whose lease a writer voided", async () => {
    const reader = isolate(redis);
    const held = latch();
    const started = latch();
    const read = reader.cache.get({ key }, async () => {
      started.open();
      await held.promise;
      return { found: false };
    });
    await started.promise;
    await isolate(redis).cache.invalidate({ keys: [key] });
    held.open();
    await read;
    await reader.background.drain();
    expect(redis.get(key)).toBeUndefined();
  });

  it("lets a late lock holder neither fill nor release a newer holder's lock", async () => {
    const late = isolate(redis, { config: { lockTtlSeconds: 5 } });
    const held = latch();
    const slowStarted = latch();
    const slow = late.cache.get({ key }, async () => {
      slowStarted.open();
      await held.promise;
      return { found: true, value: { id: "lamp", version: 1 } };
    });
    await slowStarted.promise;
    const firstLock = redis.get(lockKeyOf(key));
    redis.now += 5_000; // the slow holder's lock expires

    const newer = isolate(redis);
    const newerLoad = latch();
    const newerStarted = latch();
    const newerRead = newer.cache.get({ key }, async () => {
      newerStarted.open();
      await newerLoad.promise;
      return { found: true, value: { id: "lamp", version: 2 } };
    });
    await newerStarted.promise;
    const secondLock = redis.get(lockKeyOf(key));
    expect(secondLock).toBeDefined();
    expect(secondLock).not.toBe(firstLock);

    held.open();
    await slow;
    await late.background.drain();
    expect(redis.get(key)).toBeUndefined();
    expect(redis.get(lockKeyOf(key))).toBe(secondLock);

    newerLoad.open();
    await newerRead;
    await newer.background.drain();
    expect(decodeEntry(redis.get(key) ?? "")?.loaded).toEqual({
      found: true,
      value: { id: "lamp", version: 2 },
    });
  });
});

describe("stale-while-revalidate", () => {
  it("answers a stale entry at once and refreshes it once in the background", async () => {
    const config = { ttlSeconds: 300, staleSeconds: 60 };
    const first = isolate(redis, { config });
    await first.cache.get({ key }, countingLoader({ id: "lamp", version: 1 }));
    await first.background.drain();
    redis.now += 300_000; // into the stale window

    const a = isolate(redis, { config });
    const b = isolate(redis, { config });
    // The refresh is held until both reads were answered, whatever the scheduling.
    const refreshGate = latch();
    const load = countingLoader({ id: "lamp", version: 2 });
    const refresh = async () => {
      await refreshGate.promise;
      return load();
    };
    const [ra, rb] = [await a.cache.get({ key }, refresh), await b.cache.get({ key }, refresh)];

    expect(ra.outcome.status).toBe("stale");
    expect(rb.outcome.status).toBe("stale");
    expect(ra.loaded).toEqual({ found: true, value: { id: "lamp", version: 1 } });
    refreshGate.open();
    await a.background.drain();
    await b.background.drain();
    expect(load.calls).toBe(1);
    const fresh = await isolate(redis, { config }).cache.get({ key }, refresh);
    expect(fresh.outcome.status).toBe("hit");
    expect(fresh.loaded).toEqual({ found: true, value: { id: "lamp", version: 2 } });
  });

  it("never serves a stale entry after a write invalidated it", async () => {
    const config = { ttlSeconds: 300, staleSeconds: 60 };
    const first = isolate(redis, { config });
    await first.cache.get({ key }, countingLoader({ id: "lamp", version: 1 }));
    await first.background.drain();
    redis.now += 300_000;
    await first.cache.invalidate({ keys: [key] });
    const after = await isolate(redis, { config }).cache.get(
      { key },
      countingLoader({ id: "lamp", version: 2 }),
    );
    expect(after.outcome.status).toBe("miss");
    expect(after.loaded).toEqual({ found: true, value: { id: "lamp", version: 2 } });
  });
});

describe("corrupt entries", () => {
  it("drops an entry that is not ours and loads", async () => {
    redis.set(key, "null");
    const { cache, background } = isolate(redis);
    const result = await cache.get({ key }, countingLoader(lamp));
    expect(result.outcome.status).toBe("miss");
    await background.drain();
    expect(decodeEntry(redis.get(key) ?? "")?.loaded).toEqual({ found: true, value: lamp });
  });

  it("drops an entry whose JSON does not decode and loads", async () => {
    redis.set(key, "ca1|0|0|{not json", 60_000);
    const { cache, background } = isolate(redis);
    const load = countingLoader(lamp);
    const result = await cache.get({ key }, load);
    expect(result.outcome.status).toBe("miss");
    expect(load.calls).toBe(1);
    await background.drain();
    expect(decodeEntry(redis.get(key) ?? "")?.loaded).toEqual({ found: true, value: lamp });
  });
});

describe("scripts", () => {
  it("falls back to EVAL once when Redis forgot a script", async () => {
    const { cache } = isolate(redis);
    await cache.get({ key }, countingLoader(lamp));
    redis.flushScripts();
    const result = await cache.get({ key: "t:product:other" }, countingLoader(lamp));
    expect(result.outcome.redisCalls).toBe(2);
    const again = await cache.get({ key: "t:product:third" }, countingLoader(lamp));
    expect(again.outcome.redisCalls).toBe(1);
  });
});
