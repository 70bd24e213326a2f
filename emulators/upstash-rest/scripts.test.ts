/**
 * Scripts: SCRIPT LOAD/EXISTS/FLUSH, the client's createScript NOSCRIPT → EVAL fallback, and the
 * Upstash-only `allow-key-locking` shebang (stripped for stock Redis, original SHA-1 kept working).
 *
 * SCRIPT FLUSH empties the script cache of the whole shared Redis; clients of the other suites
 * recover through their own NOSCRIPT fallback.
 */
import { Ratelimit } from "@upstash/ratelimit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptRegistry, scriptSha1, stripKeyLockingFlag } from "./scripts";
import { type Harness, redisErrorText, startHarness, toJs } from "./test-support";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** Unique per run so SCRIPT EXISTS is not answered by an earlier run's cache. */
const salt = `${process.pid}-${Date.now()}`;
const LOCKING = `#!lua flags=allow-key-locking\nreturn {redis.call('INCR', KEYS[1]), '${salt}'}`;

describe("stripKeyLockingFlag", () => {
  it("drops the whole shebang when allow-key-locking was its only flag, keeping the line break", () => {
    expect(stripKeyLockingFlag("#!lua flags=allow-key-locking\nreturn 1")).toBe("\nreturn 1");
    expect(stripKeyLockingFlag("#!lua flags=allow-key-locking")).toBe("");
  });

  it("keeps other flags and leaves scripts without the flag untouched", () => {
    expect(stripKeyLockingFlag("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe(
      "#!lua flags=no-writes\nreturn 1",
    );
    for (const script of ["return 1", "#!lua\nreturn 1", "#!lua flags=no-writes\nreturn 1"]) {
      expect(stripKeyLockingFlag(script)).toBe(script);
    }
  });

  it("maps the original SHA-1 to the forwarded one only for rewritten scripts", () => {
    const registry = new ScriptRegistry();
    registry.prepare("return 1");
    expect(registry.translate(scriptSha1("return 1"))).toBe(scriptSha1("return 1"));
    registry.prepare(LOCKING);
    expect(registry.translate(scriptSha1(LOCKING).toUpperCase())).toBe(
      scriptSha1(stripKeyLockingFlag(LOCKING)),
    );
  });
});

describe("scripts through the real client", () => {
  it("needs the rewrite: stock Redis itself refuses the key-locking flag", async () => {
    const reply = toJs(await h.run("EVAL", LOCKING, 1, h.key("lock")));
    expect(reply).toEqual({ error: expect.stringContaining("Unexpected flag in script shebang") });
  });

  it.each([true, false])(
    "runs a key-locking script by EVAL, SCRIPT LOAD and the original SHA-1 (auto-pipelining %s)",
    async (auto) => {
      const redis = h.client({ enableAutoPipelining: auto });
      const key = h.key(`lock:${auto}`);
      const original = scriptSha1(LOCKING);
      expect(await redis.eval(LOCKING, [key], [])).toEqual([1, salt]);
      expect(await redis.scriptLoad(LOCKING)).toBe(original);
      expect(await redis.scriptExists(original)).toEqual([1]);
      expect(await redis.evalsha(original, [key], [])).toEqual([2, salt]);
    },
  );

  it("falls back from NOSCRIPT to EVAL in createScript, then reuses the cached script", async () => {
    for (const auto of [true, false]) {
      const redis = h.client({ enableAutoPipelining: auto });
      const script = redis.createScript<[number, string]>(LOCKING);
      const key = h.key(`fallback:${auto}`);
      expect(await redis.scriptFlush()).toBe("OK");
      expect(await redis.scriptExists(script.sha1)).toEqual([0]);
      const noscript = await script.evalsha([key], []).catch(redisErrorText);
      expect(noscript).toMatch(/^NOSCRIPT /);
      expect(await script.exec([key], [])).toEqual([1, salt]); // EVALSHA → NOSCRIPT → EVAL
      expect(await redis.scriptExists(script.sha1)).toEqual([1]);
      expect(await script.evalsha([key], [])).toEqual([2, salt]); // no fallback needed any more
    }
  });

  it("serves @upstash/ratelimit, whose pinned SHA-1s cover the shebang text", async () => {
    const redis = h.client();
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(2, "60 s"),
      prefix: h.key("ratelimit"),
      analytics: false,
    });
    const outcomes = [];
    for (let i = 0; i < 3; i += 1) {
      outcomes.push((await limiter.limit("user")).success);
    }
    expect(outcomes).toEqual([true, true, false]);
    expect(await limiter.getRemaining("user")).toMatchObject({ remaining: 0 });
  });
});
