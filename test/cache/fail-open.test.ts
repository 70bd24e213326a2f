import { Redis } from "@upstash/redis";
import { CircuitBreaker, createCacheAside } from "lease-cache";
import { Background } from "lease-cache/testing";
import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FaultSettings } from "../../emulators/shared/faults";
import { startUpstashSubject, type UpstashSubject } from "./upstash-subject";

const TIMEOUT_MS = 100;
let subject: UpstashSubject;
beforeAll(async () => {
  subject = await startUpstashSubject();
});
afterEach(() => {
  subject.server.faults.reset();
});
afterAll(async () => {
  await subject.close();
});

function cacheUnderTest() {
  const background = new Background();
  const redis = new Redis({
    url: subject.server.url,
    token: subject.server.token,
    ...upstashClientOptions({ timeoutMs: TIMEOUT_MS }),
  });
  const cache = createCacheAside({
    redis: upstashPort(redis),
    config: { redisTimeoutMs: TIMEOUT_MS },
    background,
    breaker: new CircuitBreaker(),
  });
  return { cache, background };
}

// `executes`: whether the server still runs the command after the client gave up (a late read may
// then take a lock nobody fills; it expires by its TTL, like a lock holder that died).
const faults: [string, Partial<FaultSettings>, { executes: boolean }][] = [
  ["refuses connections", { mode: "refuse" }, { executes: false }],
  ["hangs", { mode: "hang" }, { executes: true }],
  ["is slow", { latencyMs: 400 }, { executes: true }],
  ["answers HTTP 500", { mode: "http500" }, { executes: false }],
  [
    "answers Redis errors",
    { mode: "error", errorMessage: "OOM command not allowed" },
    { executes: false },
  ],
];

describe("Redis trouble through the real client", () => {
  it.each(faults)(
    "answers from the loader and fills nothing when Redis %s",
    async (_, patch, { executes }) => {
      const { cache, background } = cacheUnderTest();
      const key = `${subject.prefix}:fault:${crypto.randomUUID()}`;
      subject.server.faults.set(patch);
      const started = performance.now();

      const result = await cache.get({ key }, async () => ({ found: true, value: { v: 1 } }));
      await background.drain();
      const elapsed = performance.now() - started;
      subject.server.faults.reset();

      expect(result.outcome.status).toBe("bypass");
      expect(result.loaded).toEqual({ found: true, value: { v: 1 } });
      // One timeout at most: no retry storm.
      expect(elapsed).toBeLessThan(TIMEOUT_MS * 3);
      expect(await subject.getRaw(key)).toBeNull();
      if (!executes) {
        expect(await subject.getRaw(`${key}:lock`)).toBeNull();
      }
    },
  );

  it("rejects an invalidation whose response was lost, though Redis applied it", async () => {
    const { cache, background } = cacheUnderTest();
    const key = `${subject.prefix}:lost:${crypto.randomUUID()}`;
    await cache.get({ key }, async () => ({ found: true, value: 1 }));
    await background.drain();
    expect(await subject.getRaw(key)).not.toBeNull();

    // Make sure this emulator knows the script, so the lost response is the invalidation's own.
    await cache.invalidate({ keys: [`${key}:warm-up`] });
    subject.server.faults.set({ mode: "lost-response", match: ["EVALSHA", "EVAL"] });
    await expect(cache.invalidate({ keys: [key] })).rejects.toThrow(/redis unavailable/);
    subject.server.faults.reset();
    // The DEL happened: retrying it (as the outbox does) is harmless.
    expect(await subject.getRaw(key)).toBeNull();
    await cache.invalidate({ keys: [key] });
  });

  it("ends the fetch of a call it gave up on when it gives up, not at the client's own deadline", async () => {
    const { cache, background } = cacheUnderTest();
    const key = `${subject.prefix}:abandoned:${crypto.randomUUID()}`;
    // Observe (not replace) what the real client hands to fetch.
    const sent: AbortSignal[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      if (init?.signal) {
        sent.push(init.signal);
      }
      return realFetch(input, init);
    };
    try {
      subject.server.faults.set({ mode: "hang" });
      const result = await cache.get({ key }, async () => ({ found: true, value: 1 }));

      expect(result.outcome.status).toBe("bypass");
      // The read gave up after one timeout; its fetch was ended then, not at the client's
      // fallback deadline (twice the timeout).
      expect(sent[0]?.aborted).toBe(true);
    } finally {
      globalThis.fetch = realFetch;
      subject.server.faults.reset();
      await background.drain();
    }
  });
});
