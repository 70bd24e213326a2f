/**
 * The absent-id budget's sliding log (`src/http/absent-read-log.ts`) against real Redis through
 * the Upstash REST server, with the clock under the test's control. The same minute-boundary
 * scenario run against `@upstash/ratelimit`'s sliding window (what the budget used before) shows
 * what the log is for: the weighted estimate lets a 61st read through right after the boundary.
 */
import { createHash } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { slidingReadLog } from "../../src/http/absent-read-log";
import { APP_SCRIPTS } from "../../src/redis-scripts";
import { startUpstashSubject, type UpstashSubject } from "../cache/upstash-subject";

const WINDOW_MS = 60_000;
const LIMIT = 60;

let subject: UpstashSubject;
beforeAll(async () => {
  subject = await startUpstashSubject();
});
afterAll(async () => {
  await subject.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/** 1.5 s before a minute boundary of the epoch (where fixed and weighted windows roll over). */
function justBeforeABoundary(): number {
  return (Math.floor(Date.now() / WINDOW_MS) + 1) * WINDOW_MS - 1_500;
}

function logAt(clock: { now: number }, limit = LIMIT) {
  return slidingReadLog({
    redis: subject.port,
    prefix: `${subject.prefix}:log`,
    limit,
    timeoutMs: 2_000,
    now: () => clock.now,
  });
}

const client = () => `198.51.100.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;

describe("the Worker's Lua scripts", () => {
  it.each(APP_SCRIPTS.map((s) => [s.name, s] as const))(
    "%s's pinned SHA-1 is its text's, and Redis loads it under that SHA-1 through the REST server",
    async (_, script) => {
      expect(createHash("sha1").update(script.source).digest("hex")).toBe(script.sha1);
      expect(await subject.raw.scriptLoad(script.source)).toBe(script.sha1);
    },
  );

  it("declares every key it touches in KEYS", () => {
    for (const script of APP_SCRIPTS) {
      for (const call of script.source.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)) {
        expect(call[2], `${script.name}: ${call[0]}`).toMatch(/^KEYS\[/);
      }
    }
  });
});

describe("absent-read log (at most N reads in any window)", () => {
  it("refuses reservations right after a minute boundary while the reads logged before it are in the window", async () => {
    const clock = { now: justBeforeABoundary() };
    const log = logAt(clock);
    const who = client();
    const start = clock.now;
    for (let i = 0; i < LIMIT; i++) {
      clock.now = start + i * 10;
      const reservation = await log.reserve(who);
      expect(reservation.granted).toBe(true);
      expect(reservation.remaining).toBe(LIMIT - 1 - i);
    }
    clock.now = start + 3_000; // 1.5 s past the boundary
    const refused = await log.reserve(who);
    expect(refused).toMatchObject({ granted: false, remaining: 0, reset: start + WINDOW_MS });
    clock.now = start + WINDOW_MS - 1;
    expect((await log.reserve(who)).granted).toBe(false);
    clock.now = start + WINDOW_MS;
    expect(await log.reserve(who)).toMatchObject({ granted: true, remaining: 0 });
    clock.now = start + WINDOW_MS + 10 * 9;
    expect(await log.reserve(who)).toMatchObject({ granted: true, remaining: 8 });
  });

  it("gives a released place back, and a refused reservation takes none", async () => {
    const clock = { now: Date.now() };
    const log = logAt(clock, 2);
    const who = client();
    const first = await log.reserve(who);
    const second = await log.reserve(who);
    expect([first.granted, second.granted]).toEqual([true, true]);
    expect((await log.reserve(who)).granted).toBe(false);
    expect((await log.reserve(who)).granted).toBe(false);
    await log.release(who, second.member);
    expect(await log.reserve(who)).toMatchObject({ granted: true, remaining: 0 });
  });

  it("records a read that went ahead unreserved even past the limit, and frees a place only when enough left the window", async () => {
    const clock = { now: Date.now() };
    const log = logAt(clock, 3);
    const who = client();
    const start = clock.now;
    for (let i = 0; i < 5; i++) {
      clock.now = start + i * 100;
      await log.record(who);
    }
    // Five logged against three allowed: the third oldest must leave before one is free.
    clock.now = start + 500;
    expect(await log.reserve(who)).toMatchObject({
      granted: false,
      remaining: 0,
      reset: start + 200 + WINDOW_MS,
    });
    clock.now = start + 200 + WINDOW_MS;
    expect((await log.reserve(who)).granted).toBe(true);
  });

  it("keeps each client's log apart and lets it expire with the window", async () => {
    const clock = { now: Date.now() };
    const log = logAt(clock, 2);
    const [a, b] = [client(), client()];
    await log.reserve(a);
    await log.reserve(a);
    expect((await log.reserve(a)).granted).toBe(false);
    expect(await log.reserve(b)).toMatchObject({ granted: true, remaining: 1 });
    const ttl = await subject.raw.pttl(`${subject.prefix}:log:${a}`);
    expect(ttl).toBeGreaterThan(WINDOW_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
  });

  it("grants exactly the limit to concurrent reservations of one client", async () => {
    const clock = { now: Date.now() };
    const log = logAt(clock, 10);
    const who = client();
    const all = await Promise.all(Array.from({ length: 50 }, () => log.reserve(who)));
    expect(all.filter((r) => r.granted)).toHaveLength(10);
  });

  it("is what the budget needs: @upstash/ratelimit's sliding window lets a 61st read through right after the boundary", async () => {
    // The variant the log replaced, in the same scenario; its clock is Date's.
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = justBeforeABoundary();
    vi.setSystemTime(start);
    const window = new Ratelimit({
      redis: subject.raw,
      limiter: Ratelimit.slidingWindow(LIMIT, "60 s"),
      prefix: `${subject.prefix}:weighted`,
      ephemeralCache: false,
      analytics: false,
    });
    const who = client();
    for (let i = 0; i < LIMIT; i++) {
      vi.setSystemTime(start + i * 10);
      expect((await window.limit(who)).success).toBe(true);
    }
    vi.setSystemTime(start + 3_000);
    expect((await window.limit(who)).success).toBe(true);
  });
});
