/**
 * What an application sees of the cache over one adapter: read-through, cached misses,
 * invalidation after a write, leases against stale fills, one load per stampede, and fail-open.
 * Registered once per adapter by `redis-port-contract.test.ts`; the cache is the public
 * `createCacheAside`, with background work collected so a test can await the fills.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  type CacheStatus,
  CircuitBreaker,
  createCacheAside,
  type RedisPort,
  RedisUnavailableError,
} from "lease-cache";
import { Background, cacheScripts, countingLoader, isolate, latch } from "lease-cache/testing";
import { describe, expect, it } from "vitest";
import { type AdapterSubject, CONTRACT_TIMEOUT_MS } from "./subjects";

const config = { redisTimeoutMs: CONTRACT_TIMEOUT_MS };

/** A cache with its own breaker (no state shared with other tests) and collected background work. */
function newCache(port: RedisPort) {
  const background = new Background();
  const cache = createCacheAside({
    redis: port,
    config,
    background,
    breaker: new CircuitBreaker(),
  });
  return { cache, background };
}

/**
 * `port` plus a hook called with the name of every script that replied (EVALSHA, or EVAL after a
 * NOSCRIPT), so a test can act on "every reader has read" or "the fill landed".
 */
function observed(port: RedisPort, onReply: (script: string) => void): RedisPort {
  const texts = cacheScripts.flatMap((s) => [
    [s.redis, s.name] as const,
    [s.upstash, s.name] as const,
  ]);
  const names = new Map(texts.map(([text, name]) => [text.sha1, name] as const));
  const sources = new Map(texts.map(([text, name]) => [text.source, name] as const));
  return {
    ...(port.dialect === undefined ? {} : { dialect: port.dialect }),
    async evalsha(sha1, keys, args) {
      const reply = await port.evalsha(sha1, keys, args);
      onReply(names.get(sha1) ?? "?");
      return reply;
    },
    async eval(source, keys, args) {
      const reply = await port.eval(source, keys, args);
      onReply(sources.get(source) ?? "?");
      return reply;
    },
  };
}

/** Registers the cache-level contract for `subject()` (called per test, after `beforeAll`). */
export function registerCacheContract(subject: () => AdapterSubject): void {
  let n = 0;
  const newKey = () => {
    n += 1;
    return `${subject().prefix}:cache:${n}`;
  };

  describe("the cache over it", () => {
    it("reads through: a miss loads and fills, the next read hits without loading", async () => {
      const { cache, background } = newCache(subject().port);
      const key = newKey();
      const load = countingLoader({ name: "v1" });
      const first = await cache.get({ key }, load);
      expect(first.outcome.status).toBe("miss");
      expect(first.loaded).toEqual({ found: true, value: { name: "v1" } });
      await background.drain();
      const second = await cache.get({ key }, load);
      expect(second.outcome.status).toBe("hit");
      expect(second.loaded).toEqual({ found: true, value: { name: "v1" } });
      expect(load.calls).toBe(1);
    });

    it("caches an absent row: the next read hits the cached miss without loading", async () => {
      const { cache, background } = newCache(subject().port);
      const key = newKey();
      const load = countingLoader<string>(undefined);
      expect((await cache.get({ key }, load)).loaded).toEqual({ found: false });
      await background.drain();
      const second = await cache.get({ key }, load);
      expect(second.outcome.status).toBe("hit");
      expect(second.loaded).toEqual({ found: false });
      expect(load.calls).toBe(1);
    });

    it("after a write and its invalidation, the next read loads the new value", async () => {
      const { cache, background } = newCache(subject().port);
      const key = newKey();
      let row = "v1";
      const load = async () => ({ found: true, value: row }) as const;
      await cache.get({ key }, load);
      await background.drain();
      expect((await cache.get({ key }, load)).outcome.status).toBe("hit");
      row = "v2";
      await cache.invalidate({ keys: [key] });
      const after = await cache.get({ key }, load);
      expect(after.outcome.status).toBe("miss");
      expect(after.loaded).toEqual({ found: true, value: "v2" });
    });

    it("a read that loaded the old row before a write cannot put it back after the invalidation", async () => {
      const { cache, background } = newCache(subject().port);
      const key = newKey();
      let row = "v1";
      const started = latch();
      const release = latch();
      const slow = cache.get({ key }, async () => {
        const seen = row;
        started.open();
        await release.promise;
        return { found: true, value: seen } as const;
      });
      await started.promise;
      row = "v2";
      await cache.invalidate({ keys: [key] });
      release.open();
      // The slow read answers what it read (it began before the write) but must not fill it.
      expect((await slow).loaded).toEqual({ found: true, value: "v1" });
      await background.drain();
      expect(await subject().getRaw(key)).toBeNull();
      const next = await cache.get({ key }, async () => ({ found: true, value: row }) as const);
      expect(next.outcome.status).toBe("miss");
      expect(next.loaded).toEqual({ found: true, value: "v2" });
    });

    it("a stampede of 50 concurrent reads from 50 isolates loads once", async () => {
      const key = newKey();
      const allRead = latch();
      const filled = latch();
      let reads = 0;
      const port = observed(subject().port, (script) => {
        if (script === "readOrLease" && ++reads === 50) {
          allRead.open();
        }
        if (script === "fill") {
          filled.open();
        }
      });
      // The loader holds until all 50 first reads are in (one lease, 49 "locked"), and waiters
      // sleep until the fill landed: the order is fixed, not raced. Every isolate talks to the
      // subject's Redis and shares one test clock.
      const clock = { now: 0 };
      const isolates = Array.from({ length: 50 }, () =>
        isolate(clock, { port, config, sleep: () => filled.promise }),
      );
      const load = countingLoader("v1");
      const held = async () => {
        const loaded = await load();
        await allRead.promise;
        return loaded;
      };
      const results = await Promise.all(isolates.map(({ cache }) => cache.get({ key }, held)));
      await Promise.all(isolates.map(({ background }) => background.drain()));
      expect(load.calls).toBe(1);
      expect(results.every((r) => r.loaded.found && r.loaded.value === "v1")).toBe(true);
      const statuses: CacheStatus[] = results.map((r) => r.outcome.status).sort();
      expect(statuses).toEqual(["miss", ...Array<CacheStatus>(49).fill("waited")].sort());
    });

    it("an unreachable Redis makes a read bypass to the loader and an invalidation reject", async () => {
      const { cache, background } = newCache(await subject().unreachable());
      const key = newKey();
      const load = countingLoader("v1");
      const read = await cache.get({ key }, load);
      expect(read.outcome.status).toBe("bypass");
      expect(read.loaded).toEqual({ found: true, value: "v1" });
      await background.drain();
      const rejected = cache.invalidate({ keys: [key] });
      await expect(rejected).rejects.toBeInstanceOf(RedisUnavailableError);
      // An error, at once: not a hang that only the timeout ended.
      await expect(rejected).rejects.toMatchObject({ reason: "error" });
    });
  });
}

/**
 * What the cache's NOSCRIPT fallback needs from a port over real Redis: EVALSHA of an unknown
 * script rejects with an `Error` whose message names NOSCRIPT, and EVAL runs a script and loads it
 * for the next EVALSHA. Each test uses a script of its own, so nothing is flushed from the shared
 * Redis's script cache.
 */
export function registerNoScriptContract(subject: () => AdapterSubject): void {
  const uniqueScript = () => {
    const suffix = `:${randomBytes(8).toString("hex")}`;
    const source = `return ARGV[1] .. '${suffix}'`;
    return { source, suffix, sha1: createHash("sha1").update(source).digest("hex") };
  };

  describe("scripts Redis does not know", () => {
    it("rejects EVALSHA of an unknown script with an Error whose message names NOSCRIPT", async () => {
      const { sha1 } = uniqueScript();
      const error = await subject()
        .port.evalsha(sha1, [], ["x"])
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof Error ? error.message : "").toMatch(/NOSCRIPT/i);
    });

    it("runs a script with EVAL and then knows it for EVALSHA", async () => {
      const { source, suffix, sha1 } = uniqueScript();
      expect(await subject().port.eval(source, [], ["a"])).toBe(`a${suffix}`);
      expect(await subject().port.evalsha(sha1, [], ["b"])).toBe(`b${suffix}`);
    });
  });
}
