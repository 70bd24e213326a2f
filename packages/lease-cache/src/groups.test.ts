import { beforeEach, describe, expect, it } from "vitest";
import { countingLoader, isolate, latch } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";

const group = "t:group:pages";
const page = { key: "t:pages:20:start", group };

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

describe("group invalidation", () => {
  it("voids every entry of a group with one generation bump", async () => {
    const { cache, background } = isolate(redis);
    const other = { key: "t:pages:20:abc", group };
    await cache.get(page, countingLoader(["a"]));
    await cache.get(other, countingLoader(["b"]));
    await background.drain();

    await cache.invalidate({ keys: [], groups: [group] });

    const load = countingLoader(["a", "new"]);
    const again = await cache.get(page, load);
    expect(again.outcome.status).toBe("miss");
    expect(again.loaded).toEqual({ found: true, value: ["a", "new"] });
    expect((await cache.get(other, load)).outcome.status).toBe("miss");
  });

  it("does not fill a page whose group moved on during its load", async () => {
    const reader = isolate(redis);
    const started = latch();
    const oldPage = latch();
    const read = reader.cache.get(page, async () => {
      started.open();
      await oldPage.promise;
      return { found: true, value: ["old"] } as const;
    });
    await started.promise;
    await isolate(redis).cache.invalidate({ keys: ["t:product:x"], groups: [group] });
    oldPage.open();
    await read;
    await reader.background.drain();

    const next = await isolate(redis).cache.get(page, countingLoader(["new"]));
    expect(next.outcome.status).toBe("miss");
    expect(next.loaded).toEqual({ found: true, value: ["new"] });
  });

  it("invalidates keys, their locks and groups in a single call", async () => {
    const { cache } = isolate(redis);
    redis.calls.length = 0;
    await cache.invalidate({ keys: ["t:product:a", "t:reviews:a"], groups: [group] });
    expect(redis.calls).toEqual(["invalidate"]);
  });
});
