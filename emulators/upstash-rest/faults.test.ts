/**
 * Each fault knob, observed through the real `@upstash/redis` client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_PATH } from "../shared/faults";
import { type Harness, postJson, redisErrorText, startHarness, toJs } from "./test-support";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(() => {
  h.server.faults.reset();
});
afterAll(async () => {
  await h.close();
});

/** Resolves once the server has applied `mode` `count` times (polls the counter, no fixed sleep). */
async function appliedAtLeast(mode: "hang", count: number): Promise<void> {
  while (h.server.faults.applied[mode] < count) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("fault knobs", () => {
  it("latency: every call takes at least latencyMs", async () => {
    const redis = h.client({ enableAutoPipelining: false });
    // Large enough that an unloaded call on a busy 2-core machine stays well below it.
    const latencyMs = 500;
    const timed = async () => {
      const start = performance.now();
      await redis.get(h.key("latency"));
      return performance.now() - start;
    };
    expect(await timed()).toBeLessThan(latencyMs);
    h.server.faults.set({ latencyMs });
    // Timers may fire up to 1 ms early because of clock rounding.
    expect(await timed()).toBeGreaterThanOrEqual(latencyMs - 1);
  });

  it("refuse: the client sees a network error on every attempt and nothing runs", async () => {
    const redis = h.client({ enableAutoPipelining: false, retry: false });
    const before = h.server.faults.applied.refuse;
    h.server.faults.set({ mode: "refuse" });
    await expect(redis.set(h.key("refused"), "v")).rejects.toThrow(/fetch failed/);
    expect(h.server.faults.applied.refuse - before).toBe(2); // retry: false still makes two attempts
    expect(toJs(await h.run("EXISTS", h.key("refused")))).toBe(0);
  });

  it("hang: a call does not complete until released", async () => {
    const redis = h.client({ enableAutoPipelining: false });
    const key = h.key("held");
    const before = h.server.faults.applied.hang;
    h.server.faults.set({ mode: "hang" });
    let settled = false;
    const pending = redis.set(key, "v").finally(() => {
      settled = true;
    });
    await appliedAtLeast("hang", before + 1);
    expect(settled).toBe(false);
    expect(toJs(await h.run("EXISTS", key))).toBe(0);
    h.server.faults.set({ mode: "none" }); // releases the held request, which then runs
    expect(await pending).toBe("OK");
    expect(toJs(await h.run("GET", key))).toBe("v");
  });

  it("hang: a signal factory aborts the call with a timeout error", async () => {
    const redis = h.client({ enableAutoPipelining: false, signal: () => AbortSignal.timeout(80) });
    h.server.faults.set({ mode: "hang" });
    const start = performance.now();
    const error = await redis.get(h.key("held")).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TimeoutError" });
    expect(performance.now() - start).toBeGreaterThanOrEqual(79);
  });

  it("http500: the client throws the JSON error after exactly one attempt", async () => {
    const redis = h.client(); // default retries: 5, but HTTP statuses are never retried
    const before = h.server.faults.applied.http500;
    h.server.faults.set({ mode: "http500" });
    await expect(redis.get(h.key("x"))).rejects.toThrow(/HTTP 500/);
    expect(h.server.faults.applied.http500 - before).toBe(1);
  });

  it("error: the client throws the configured Redis error and the command does not run", async () => {
    const redis = h.client({ enableAutoPipelining: false });
    h.server.faults.set({ mode: "error", errorMessage: "LOADING Redis is loading the dataset" });
    const error = await redis.set(h.key("errored"), "v").catch(redisErrorText);
    expect(error).toBe("LOADING Redis is loading the dataset");
    expect(toJs(await h.run("EXISTS", h.key("errored")))).toBe(0);
  });

  it("lost-response: the write is applied in Redis but the client errors", async () => {
    const redis = h.client({ enableAutoPipelining: false, retry: { retries: 0 } });
    const key = h.key("lost");
    h.server.faults.set({ mode: "lost-response" });
    await expect(redis.incr(key)).rejects.toThrow(/fetch failed/);
    expect(toJs(await h.run("GET", key))).toBe("1");
  });

  it("match: only the named command fails, also inside one auto-pipelined batch", async () => {
    const redis = h.client(); // auto-pipelining: SET and DEL below travel in one /pipeline request
    const [a, b] = [h.key("match:a"), h.key("match:b")];
    await redis.set(b, "keep");
    h.server.faults.set({ mode: "error", match: ["DEL"] });
    const [set, del] = await Promise.allSettled([redis.set(a, "v"), redis.del(b)]);
    expect(set).toEqual({ status: "fulfilled", value: "OK" });
    expect(del.status === "rejected" && redisErrorText(del.reason)).toBe("ERR injected fault");
    expect(await redis.get(b)).toBe("keep");
  });

  it("probability 0: the mode never applies", async () => {
    const redis = h.client();
    h.server.faults.set({ mode: "http500", probability: 0 });
    expect(await redis.set(h.key("lucky"), 1)).toBe("OK");
  });

  it("control endpoint: POST sets, GET reads, DELETE resets — without a token", async () => {
    const control = `${h.server.url}${CONTROL_PATH}`;
    const set = await fetch(control, {
      method: "POST",
      body: JSON.stringify({ mode: "http500", match: ["GET"] }),
    });
    expect(set.status).toBe(200);
    const read = (await (await fetch(control)).json()) as { settings: { mode: string } };
    expect(read.settings.mode).toBe("http500");
    expect((await postJson(h.server, "/", ["get", h.key("c")])).status).toBe(500);
    expect((await postJson(h.server, "/", ["set", h.key("c"), 1])).status).toBe(200);
    await fetch(control, { method: "DELETE" });
    expect(await postJson(h.server, "/", ["get", h.key("c")])).toMatchObject({
      status: 200,
      body: { result: "1" },
    });
  });
});
