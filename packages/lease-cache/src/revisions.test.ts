import { beforeEach, describe, expect, it } from "vitest";
import { decodeEntry, parseEnvelope } from "./envelope.js";
import { revisionKeyOf } from "./keys.js";
import type { RedisPort } from "./redis-port.js";
import { isolate, latch } from "./testing/harness.js";
import { MemoryRedis } from "./testing/memory-redis.js";
import type { LoadContext, Loaded, Regression } from "./types.js";

const key = "t:product:lamp";
const lamp = (rev: number) => ({ id: "lamp", rev });

let redis: MemoryRedis;
beforeEach(() => {
  redis = new MemoryRedis();
  redis.now = 1_000_000;
});

/** A versioned loader that records the context it was given and returns `state`. */
function versionedLoader(state: () => Loaded<unknown>) {
  const contexts: LoadContext[] = [];
  const load = async (ctx: LoadContext) => {
    contexts.push(ctx);
    return state();
  };
  return Object.assign(load, { contexts });
}

const found = (rev: number, source: "primary" | "replica" = "primary"): Loaded<unknown> => ({
  found: true,
  value: lamp(rev),
  rev,
  source,
});

async function cached(rev: number) {
  const { cache, background } = isolate(redis);
  await cache.get(
    { key },
    versionedLoader(() => found(rev)),
  );
  await background.drain();
  expect(parseEnvelope(redis.get(key) ?? "")?.rev).toBe(rev);
}

describe("writer fills", () => {
  it("store the write's own state, so the next read is a hit with one call and no load", async () => {
    await cached(1);
    const writer = isolate(redis);
    await writer.cache.invalidate({ entries: [{ key, rev: 2, loaded: found(2) }] });

    const load = versionedLoader(() => found(99));
    const result = await isolate(redis).cache.get({ key }, load);
    expect(result.outcome).toMatchObject({ status: "hit", redisCalls: 1 });
    expect(result.loaded).toMatchObject({ found: true, value: lamp(2), rev: 2 });
    expect(load.contexts).toEqual([]);
  });

  it("never let an older write replace a newer one whose call arrived first", async () => {
    await cached(1);
    const { cache } = isolate(redis);
    await cache.invalidate({ entries: [{ key, rev: 3, loaded: found(3) }] });
    await cache.invalidate({ entries: [{ key, rev: 2, loaded: found(2) }] });
    expect(decodeEntry(redis.get(key) ?? "")?.rev).toBe(3);
  });

  it("do not recreate an entry Redis lost: the next read loads under a lease, fenced by the revision marker", async () => {
    await cached(1);
    redis.delete(key);
    await isolate(redis).cache.invalidate({ entries: [{ key, rev: 2, loaded: found(2) }] });
    expect(redis.get(key)).toBeUndefined();
    expect(redis.get(revisionKeyOf(key))).toBe("2");

    const load = versionedLoader(() => found(2));
    const result = await isolate(redis).cache.get({ key }, load);
    expect(result.outcome.status).toBe("miss");
    expect(load.contexts).toEqual([{ minRev: 2 }]);
  });

  it("load from the primary once the entry and its revision marker are both lost", async () => {
    await cached(1);
    redis.delete(key);
    redis.delete(revisionKeyOf(key));
    await isolate(redis).cache.invalidate({ entries: [{ key, rev: 2, loaded: found(2) }] });
    expect(redis.get(revisionKeyOf(key))).toBeUndefined();

    const load = versionedLoader(() => found(2));
    const result = await isolate(redis).cache.get({ key }, load);
    expect(result.outcome.status).toBe("miss");
    expect(load.contexts).toEqual([{ minRev: undefined }]);
  });

  it("leave a tombstone without the state: a miss that still fences older fills", async () => {
    await cached(1);
    await isolate(redis).cache.invalidate({ entries: [{ key, rev: 4 }] });
    expect(parseEnvelope(redis.get(key) ?? "")).toMatchObject({ kind: "t", rev: 4 });

    const stale = versionedLoader(() => found(3));
    const reader = isolate(redis);
    await reader.cache.get({ key }, stale);
    await reader.background.drain();
    expect(stale.contexts).toEqual([{ minRev: 4 }]);
    expect(parseEnvelope(redis.get(key) ?? "")).toMatchObject({ kind: "t", rev: 4 });
  });
});

describe("replica fences", () => {
  it("keep a replica load only when it reaches the revision Redis holds", async () => {
    await cached(1);
    await isolate(redis).cache.invalidate({ entries: [{ key, rev: 5 }] });
    const reader = isolate(redis);
    const load = versionedLoader(() => found(5, "replica"));
    await reader.cache.get({ key }, load);
    await reader.background.drain();
    expect(load.contexts).toEqual([{ minRev: 5 }]);
    expect(decodeEntry(redis.get(key) ?? "")).toMatchObject({ rev: 5 });
  });

  it("fence a miss after the entry expired with its revision marker, so the replica load is kept", async () => {
    await cached(6);
    redis.delete(key);
    const reader = isolate(redis);
    const load = versionedLoader(() => found(6, "replica"));
    const result = await reader.cache.get({ key }, load);
    await reader.background.drain();
    expect(result.outcome.status).toBe("miss");
    expect(load.contexts).toEqual([{ minRev: 6 }]);
    expect(decodeEntry(redis.get(key) ?? "")).toMatchObject({ rev: 6 });
  });

  it("never keep a replica load when Redis holds nothing to compare it with", async () => {
    const reader = isolate(redis);
    await reader.cache.get(
      { key },
      versionedLoader(() => found(9, "replica")),
    );
    await reader.background.drain();
    expect(redis.get(key)).toBeUndefined();
  });

  it("hold a bookmarked read to its revision: an older entry is a miss, the loader is told the minimum", async () => {
    await cached(3);
    const reader = isolate(redis);
    const load = versionedLoader(() => found(4));
    const result = await reader.cache.get({ key }, load, { minRev: 4 });
    await reader.background.drain();
    expect(result.outcome.status).toBe("miss");
    expect(load.contexts).toEqual([{ minRev: 4 }]);
    expect(decodeEntry(redis.get(key) ?? "")?.rev).toBe(4);
    const again = await isolate(redis).cache.get({ key }, load, { minRev: 4 });
    expect(again.outcome.status).toBe("hit");
  });

  it("never store a load older than the reader's own minimum", async () => {
    await cached(3);
    const reader = isolate(redis);
    await reader.cache.get(
      { key },
      versionedLoader(() => found(3)),
      { minRev: 4 },
    );
    await reader.background.drain();
    expect(decodeEntry(redis.get(key) ?? "")?.rev).toBe(3);
    expect(redis.get(`${key}:lock`)).toBeUndefined();
  });
});

describe("when Redis forgets", () => {
  it("replays an applied write after a restore from an older snapshot: older entries become tombstones", async () => {
    await cached(3);
    const snapshot = redis.snapshot();
    const writer = isolate(redis);
    await writer.cache.invalidate({ entries: [{ key, rev: 4, loaded: found(4) }], writeId: 7 });
    redis.restore(snapshot);
    expect(decodeEntry(redis.get(key) ?? "")?.rev).toBe(3);

    await writer.cache.invalidate({ entries: [{ key, rev: 4 }], writeId: 7 }, { replay: true });
    expect(parseEnvelope(redis.get(key) ?? "")).toMatchObject({ kind: "t", rev: 4 });
    expect(redis.get("lease-cache:watermark")).toBe("7");
  });

  it("leaves entries as new as the replayed write alone", async () => {
    await cached(4);
    await isolate(redis).cache.invalidate({ entries: [{ key, rev: 4 }] }, { replay: true });
    expect(decodeEntry(redis.get(key) ?? "")?.rev).toBe(4);
  });

  it("never brings a page back after its group's generation was lost", async () => {
    const page = { key: "t:page:1", group: "t:group:pages" };
    const filler = isolate(redis);
    await filler.cache.get(page, async () => ({ found: true, value: ["a"] }));
    await filler.background.drain();
    const firstGeneration = redis.get(page.group);
    await filler.cache.invalidate({ groups: [page.group] });
    await filler.cache.get(page, async () => ({ found: true, value: ["a", "b"] }));
    await filler.background.drain();

    redis.delete(page.group);
    await filler.cache.invalidate({ groups: [page.group] });
    const generation = redis.get(page.group);
    expect(generation).toBeDefined();
    expect(generation).not.toBe(firstGeneration);
    const read = await isolate(redis).cache.get(page, async () => ({
      found: true,
      value: ["a", "b", "c"],
    }));
    expect(read.outcome.status).toBe("miss");
    expect(read.loaded).toMatchObject({ value: ["a", "b", "c"] });
  });

  it("reports a watermark lower than one seen, once per cooldown", async () => {
    const regressions: Regression[] = [];
    const onRegression = (r: Regression) => regressions.push(r);
    const writer = isolate(redis, { onRegression });
    await writer.cache.invalidate({ keys: [key], writeId: 10 });
    await writer.cache.get({ key }, async () => ({ found: false }));
    await writer.background.drain();
    expect(regressions).toEqual([]);

    redis.flush();
    await writer.cache.get({ key: "t:other" }, async () => ({ found: false }));
    await writer.cache.get({ key: "t:third" }, async () => ({ found: false }));
    expect(regressions).toEqual([{ observed: undefined, known: 10 }]);
    redis.now += 5_000;
    await writer.cache.get({ key: "t:fourth" }, async () => ({ found: false }));
    expect(regressions).toHaveLength(2);
  });
  it("does not take a reply sent before this isolate's own write for a regression", async () => {
    const regressions: Regression[] = [];
    const held = latch();
    let holdNext = false;
    const port: RedisPort = {
      evalsha: async (...args) => {
        const hold = holdNext;
        holdNext = false;
        const reply = await redis.evalsha(...args);
        if (hold) {
          await held.promise;
        }
        return reply;
      },
      eval: (...args) => redis.eval(...args),
    };
    const { cache, background } = isolate(redis, {
      port,
      onRegression: (r) => regressions.push(r),
    });
    await cache.invalidate({ keys: [key], writeId: 10 });

    // The read runs at Redis while the watermark is 10; its answer arrives after the write of 11.
    holdNext = true;
    const read = cache.get({ key }, async () => ({ found: false }));
    await Promise.resolve();
    await cache.invalidate({ keys: ["t:product:other"], writeId: 11 });
    held.open();
    await read;
    await background.drain();

    expect(redis.get("lease-cache:watermark")).toBe("11");
    expect(regressions).toEqual([]);
  });
});

describe("readConsistency: nearest", () => {
  /** A port that records the sync token it was given before each call. */
  function tokenPort(inner: MemoryRedis) {
    const seen: (string | undefined)[] = [];
    let token: string | undefined;
    const port: RedisPort = {
      evalsha: (...args) => inner.evalsha(...args),
      eval: (...args) => inner.eval(...args),
      evalshaRo: (...args) => {
        seen.push(token);
        return inner.evalshaRo(...args);
      },
      evalRo: (...args) => inner.evalRo(...args),
      syncToken: {
        get: () => token,
        set: (t) => {
          token = t;
        },
      },
    };
    return { port, seen };
  }

  it("answers a hit with one read-only call a read region can serve", async () => {
    await cached(2);
    redis.calls.length = 0;
    const { cache } = isolate(redis, { readConsistency: "nearest" });
    const result = await cache.get(
      { key },
      versionedLoader(() => found(9)),
    );
    expect(result.outcome).toMatchObject({ status: "hit", redisCalls: 1 });
    expect(redis.calls).toEqual(["peek"]);
  });

  it("sends a miss, a tombstone or an entry older than the bookmark to the primary for its lease", async () => {
    await cached(2);
    redis.calls.length = 0;
    const { cache, background } = isolate(redis, { readConsistency: "nearest" });
    const result = await cache.get(
      { key },
      versionedLoader(() => found(3)),
      { minRev: 3 },
    );
    await background.drain();
    expect(result.outcome.status).toBe("miss");
    expect(redis.calls).toEqual(["peek", "readOrLease", "fill"]);
  });

  it("asks the read region to catch up with the bookmark's sync token first", async () => {
    await cached(2);
    const { port, seen } = tokenPort(redis);
    const { cache } = isolate(redis, { readConsistency: "nearest", port });
    await cache.get(
      { key },
      versionedLoader(() => found(2)),
      { syncToken: "sync-42" },
    );
    expect(seen).toEqual(["sync-42"]);
  });
});

describe("warm keys", () => {
  async function warmIsolate() {
    await cached(1);
    const warm = isolate(redis);
    await warm.cache.get(
      { key },
      versionedLoader(() => found(1)),
    );
    redis.calls.length = 0;
    return warm;
  }
  const readsOf = (cache: ReturnType<typeof isolate>["cache"], n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        cache.get(
          { key },
          versionedLoader(() => found(1)),
        ),
      ),
    );

  it("let two concurrent hits each make their own single call instead of queueing", async () => {
    const { cache } = await warmIsolate();
    const results = await readsOf(cache, 2);
    expect(results.map((r) => r.outcome.status)).toEqual(["hit", "hit"]);
    expect(redis.calls).toEqual(["readOrLease", "readOrLease"]);
  });

  it("batch a flood of hits behind the one read running alone: five reads, three calls", async () => {
    const { cache } = await warmIsolate();
    const results = await readsOf(cache, 5);
    // One read alone, one batch started beside it, and a batch of three that waited for it.
    expect(results.map((r) => r.outcome.status)).toEqual([
      "hit",
      "hit",
      "hit",
      "coalesced",
      "coalesced",
    ]);
    expect(redis.calls).toEqual(["readOrLease", "readOrLease", "readOrLease"]);
  });

  it("give the read-alone slot back when a read is over", async () => {
    const { cache } = await warmIsolate();
    await readsOf(cache, 5);
    redis.calls.length = 0;
    // With the slot still taken, the third read would follow the second's batch: two calls.
    const results = await readsOf(cache, 3);
    expect(results.map((r) => r.outcome.status)).toEqual(["hit", "hit", "hit"]);
    expect(redis.calls).toEqual(["readOrLease", "readOrLease", "readOrLease"]);
  });
});
