import { beforeEach, describe, expect, it } from "vitest";
import { countingPort } from "./testing/counting-port.js";
import { countingLoader, isolate, latch } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";

const key = "t:product:lamp";

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

describe("in-isolate coalescing", () => {
  it("shares one Redis read among requests that arrive while another batch runs, and loads once", async () => {
    const port = countingPort(redis);
    const { cache, background } = isolate(redis, { port });
    const load = countingLoader({ id: "lamp", version: 1 });

    const results = await Promise.all([
      cache.get({ key }, load),
      cache.get({ key }, load),
      cache.get({ key }, load),
    ]);
    await background.drain();

    // The first request's read is sent at once; the other two arrive after it, so they form the
    // next batch, which starts after the fill and shares one read.
    expect(load.calls).toBe(1);
    expect(results.map((r) => r.outcome.status)).toEqual(["miss", "hit", "coalesced"]);
    expect(results[2]?.outcome.sharedStatus).toBe("hit");
    expect(port.count).toBe(3);
  });

  it("never hands a request a result whose Redis read was sent before it arrived", async () => {
    const { cache, background } = isolate(redis);
    const writer = isolate(redis);
    const loadStarted = latch();
    const oldRow = latch();
    const first = cache.get({ key }, async () => {
      loadStarted.open();
      await oldRow.promise;
      return { found: true, value: { version: 1 } } as const;
    });
    await loadStarted.promise;
    // A write commits and is acknowledged; then a new request arrives in the same isolate.
    await writer.cache.invalidate({ keys: [key] });
    const late = cache.get({ key }, countingLoader({ version: 2 }));
    oldRow.open();

    expect((await first).loaded).toEqual({ found: true, value: { version: 1 } });
    const lateResult = await late;
    await background.drain();
    expect(lateResult.loaded).toEqual({ found: true, value: { version: 2 } });
  });

  it("lets the next batch hit the entry the previous batch filled", async () => {
    const port = countingPort(redis);
    const { cache, background } = isolate(redis, { port });
    const loadStarted = latch();
    const release = latch();
    const first = cache.get({ key }, async () => {
      loadStarted.open();
      await release.promise;
      return { found: true, value: { version: 1 } } as const;
    });
    await loadStarted.promise;
    const load = countingLoader({ version: 1 });
    const followers = [cache.get({ key }, load), cache.get({ key }, load)];
    release.open();
    await first;
    const results = await Promise.all(followers);
    await background.drain();

    expect(load.calls).toBe(0);
    expect(results.map((r) => r.outcome.status)).toEqual(["hit", "coalesced"]);
    // Batch one: read + fill; batch two: one read.
    expect(port.count).toBe(3);
  });

  it("gives followers the leader's failure instead of loading again", async () => {
    const { cache } = isolate(redis);
    const failing = async () => {
      throw new Error("postgres down");
    };
    const outcomes = await Promise.allSettled([
      cache.get({ key }, failing),
      cache.get({ key }, failing),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
  });
});
