import { describe, expect, it } from "vitest";
import { BREAKER_FAILURE_THRESHOLD, BREAKER_OPEN_MS, CircuitBreaker } from "./circuit-breaker.js";
import { RedisGuard } from "./failure-policy.js";
import { READ_OR_LEASE, RELEASE } from "./scripts.js";
import { MemoryRedis } from "./testing/memory-redis.js";

function breakerAt(start = 1_000) {
  const clock = { now: start };
  const breaker = new CircuitBreaker({ now: () => clock.now });
  return { breaker, clock };
}

/** Failures that keep coming: each call starts after the previous failure was recorded. */
function trip(breaker: CircuitBreaker, clock?: { now: number }) {
  for (let i = 0; i < BREAKER_FAILURE_THRESHOLD; i++) {
    breaker.allow();
    breaker.failed();
    if (clock !== undefined) {
      clock.now += 1;
    }
  }
}

describe("circuit breaker transitions", () => {
  it("stays closed below the failure threshold, and a success resets the count", () => {
    const { breaker } = breakerAt();
    for (let i = 0; i < BREAKER_FAILURE_THRESHOLD - 1; i++) {
      breaker.failed();
    }
    expect(breaker.state).toBe("closed");
    breaker.succeeded();
    for (let i = 0; i < BREAKER_FAILURE_THRESHOLD - 1; i++) {
      breaker.failed();
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("counts a burst of overlapping failures once: many calls timing out together do not open it", () => {
    const { breaker, clock } = breakerAt();
    const startedAt = clock.now;
    clock.now += 200;
    for (let i = 0; i < 50; i++) {
      breaker.failed(startedAt);
    }
    expect(breaker.state).toBe("closed");
    // Failures of calls started after the burst count again.
    for (let i = 0; i < BREAKER_FAILURE_THRESHOLD - 1; i++) {
      clock.now += 1;
      breaker.failed(clock.now - 1);
    }
    expect(breaker.state).toBe("open");
  });

  it("closed → open after the threshold of consecutive failures, refusing calls", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    expect(breaker.state).toBe("open");
    clock.now += BREAKER_OPEN_MS - 1;
    expect(breaker.allow()).toBe(false);
    expect(breaker.state).toBe("open");
  });

  it("open → half-open after the open period: exactly one trial call is let through", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe("half-open");
    expect(breaker.allow()).toBe(false);
  });

  it("half-open → closed when the trial succeeds", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;
    breaker.allow();
    breaker.succeeded();
    expect(breaker.state).toBe("closed");
    expect(breaker.allow()).toBe(true);
  });

  it("half-open → open when the trial fails, for another full open period", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;
    breaker.allow();
    breaker.failed();
    expect(breaker.state).toBe("open");
    clock.now += BREAKER_OPEN_MS - 1;
    expect(breaker.allow()).toBe(false);
    clock.now += 1;
    expect(breaker.allow()).toBe(true);
  });

  it("half-open → a new trial when the trial reported nothing within the open period", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;
    expect(breaker.allow()).toBe(true);
    clock.now += BREAKER_OPEN_MS - 1;
    expect(breaker.allow()).toBe(false);
    clock.now += 1;
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe("half-open");
  });

  it("never lets a best-effort call be the trial", () => {
    const { breaker, clock } = breakerAt();
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;
    expect(breaker.allow(true)).toBe(false);
    expect(breaker.state).toBe("open");
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe("half-open");
    expect(breaker.allow(true)).toBe(false);
  });
});

describe("circuit breaker under the failure policy", () => {
  it("recovers when the first call after the open period is a best-effort one (large timeout)", async () => {
    // Reproduces a breaker that stayed half-open for good: the best-effort release became the
    // trial, recorded nothing, and every later call was refused.
    const redis = new MemoryRedis();
    const { breaker, clock } = breakerAt();
    const guard = new RedisGuard(redis, breaker, 60_000);
    trip(breaker);
    clock.now += BREAKER_OPEN_MS;

    redis.fault = "error";
    await expect(
      guard.run(RELEASE, ["k:lock"], ["t"], { calls: 0 }, undefined, "best-effort"),
    ).rejects.toMatchObject({ reason: "circuit-open" });
    redis.fault = "none";
    await guard.run(READ_OR_LEASE, ["k", "k:lock"], ["t", "5"], { calls: 0 });
    expect(breaker.state).toBe("closed");
  });

  it("tries a write's invalidation (an essential call) even while the circuit is open", async () => {
    const redis = new MemoryRedis();
    const { breaker } = breakerAt();
    const guard = new RedisGuard(redis, breaker, 60_000);
    trip(breaker);
    expect(breaker.state).toBe("open");
    await expect(guard.run(RELEASE, ["k:lock"], ["t"], { calls: 0 })).rejects.toMatchObject({
      reason: "circuit-open",
    });
    await guard.run(RELEASE, ["k:lock"], ["t"], { calls: 0 }, undefined, "essential");
    expect(breaker.state).toBe("closed");
  });

  it("does not count a failed best-effort call against a closed circuit", async () => {
    const redis = new MemoryRedis();
    const { breaker } = breakerAt();
    const guard = new RedisGuard(redis, breaker, 60_000);
    redis.fault = "error";
    for (let i = 0; i < BREAKER_FAILURE_THRESHOLD; i++) {
      await guard
        .run(RELEASE, ["k:lock"], ["t"], { calls: 0 }, undefined, "best-effort")
        .catch(() => {});
    }
    expect(breaker.state).toBe("closed");
  });
});
