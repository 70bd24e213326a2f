/**
 * Behaviour of the cache's Lua scripts, written once and run against every implementation of the
 * port: the in-memory stand-in and each adapter over real Redis (`upstashPort`, `ioredisPort`,
 * `nodeRedisPort`). If the stand-in drifts from Redis, or an adapter from the others, a run fails.
 */
import { describe, expect, it } from "vitest";
import { encodeEntry } from "../envelope.js";
import { lockKeyOf } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { type CallCounter, runScript } from "../run-script.js";
import {
  DROP_AND_LEASE,
  FILL,
  FillCode,
  INVALIDATE,
  type LuaScript,
  READ_OR_LEASE,
  RELEASE,
  ReadCode,
} from "../scripts.js";

/** What a contract run needs besides the port: raw access to keys. */
export type ScriptsSubject = {
  port: RedisPort;
  getRaw(key: string): Promise<string | null>;
  setRaw(key: string, value: string, ttlMs?: number): Promise<void>;
  pttl(key: string): Promise<number>;
  setPttl(key: string, ms: number): Promise<void>;
  /** A key prefix unique to this run. */
  prefix: string;
};

/** Registers the contract for the subject returned by `subject()` (called per test). */
export function registerScriptsContract(name: string, subject: () => ScriptsSubject): void {
  const run = (s: ScriptsSubject, script: LuaScript, keys: string[], args: string[]) =>
    runScript(s.port, script, keys, args, { calls: 0 } satisfies CallCounter);
  let n = 0;
  const keysFor = (s: ScriptsSubject, withGroup = false) => {
    n += 1;
    const key = `${s.prefix}:c${n}`;
    return withGroup ? [key, lockKeyOf(key), `${s.prefix}:g${n}`] : [key, lockKeyOf(key)];
  };
  const entry = (generation = "0", window = 0) =>
    encodeEntry({ filledAt: 1, loaded: { found: true, value: { v: 1 } } }, generation, window);

  describe(`cache scripts on ${name}`, () => {
    it("leases an empty key to the first reader and names it to the second", async () => {
      const s = subject();
      const keys = keysFor(s);
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.leased,
        "",
        "0",
        "a",
      ]);
      expect(await run(s, READ_OR_LEASE, keys, ["b", "5"])).toEqual([
        ReadCode.locked,
        "",
        "0",
        "a",
      ]);
      const ttl = await s.pttl(keys[1] ?? "");
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it("fills only for the lease holder, then releases the lock", async () => {
      const s = subject();
      const keys = keysFor(s);
      await run(s, READ_OR_LEASE, keys, ["a", "5"]);
      expect(await run(s, FILL, keys, ["b", entry(), "60000", "0"])).toBe(FillCode.leaseLost);
      expect(await s.getRaw(keys[0] ?? "")).toBeNull();
      expect(await run(s, FILL, keys, ["a", entry(), "60000", "0"])).toBe(FillCode.stored);
      expect(await s.getRaw(keys[0] ?? "")).toBe(entry());
      expect(await s.getRaw(keys[1] ?? "")).toBeNull();
      expect(await s.pttl(keys[0] ?? "")).toBeGreaterThan(59_000);
      expect(await run(s, READ_OR_LEASE, keys, ["c", "5"])).toEqual([
        ReadCode.fresh,
        entry(),
        "0",
        "",
      ]);
    });

    it("refuses a fill after a writer's invalidation", async () => {
      const s = subject();
      const keys = keysFor(s);
      await run(s, READ_OR_LEASE, keys, ["a", "5"]);
      expect(await run(s, INVALIDATE, keys, ["0"])).toBe(1);
      expect(await run(s, FILL, keys, ["a", entry(), "60000", "0"])).toBe(FillCode.leaseLost);
      expect(await s.getRaw(keys[0] ?? "")).toBeNull();
    });

    it("refuses a fill whose group moved on and releases the lock", async () => {
      const s = subject();
      const keys = keysFor(s, true);
      const [, lock, group] = keys;
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.leased,
        "",
        "0",
        "a",
      ]);
      expect(await run(s, INVALIDATE, [group ?? ""], ["1"])).toBe(0);
      expect(await run(s, FILL, keys, ["a", entry("0"), "60000", "0"])).toBe(FillCode.groupMoved);
      expect(await s.getRaw(lock ?? "")).toBeNull();
      expect(await run(s, READ_OR_LEASE, keys, ["b", "5"])).toEqual([
        ReadCode.leased,
        "",
        "1",
        "b",
      ]);
    });

    it("treats an entry of an older generation as a miss", async () => {
      const s = subject();
      const keys = keysFor(s, true);
      await s.setRaw(keys[0] ?? "", entry("0"), 60_000);
      await run(s, INVALIDATE, [keys[2] ?? ""], ["1"]);
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.leased,
        "",
        "1",
        "a",
      ]);
    });

    it("reports an entry inside its stale window and gives the refresh to one reader", async () => {
      const s = subject();
      const keys = keysFor(s);
      const stale = entry("0", 60_000);
      await s.setRaw(keys[0] ?? "", stale, 120_000);
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.fresh,
        stale,
        "0",
        "",
      ]);
      await s.setPttl(keys[0] ?? "", 30_000);
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.staleRefresh,
        stale,
        "0",
        "a",
      ]);
      expect(await run(s, READ_OR_LEASE, keys, ["b", "5"])).toEqual([
        ReadCode.stale,
        stale,
        "0",
        "a",
      ]);
    });

    it("deletes a foreign entry and leases the key", async () => {
      const s = subject();
      const keys = keysFor(s);
      await s.setRaw(keys[0] ?? "", "null");
      expect(await run(s, READ_OR_LEASE, keys, ["a", "5"])).toEqual([
        ReadCode.leased,
        "",
        "0",
        "a",
      ]);
      expect(await s.getRaw(keys[0] ?? "")).toBeNull();
    });

    it("drops an undecodable entry only if it is unchanged", async () => {
      const s = subject();
      const keys = keysFor(s);
      await s.setRaw(keys[0] ?? "", "ca1|0|0|{bad", 60_000);
      expect(await run(s, DROP_AND_LEASE, keys, ["ca1|0|0|{other", "a", "5"])).toEqual([
        ReadCode.leased,
        "",
        "",
        "a",
      ]);
      expect(await s.getRaw(keys[0] ?? "")).toBe("ca1|0|0|{bad");
      expect(await run(s, DROP_AND_LEASE, keys, ["ca1|0|0|{bad", "b", "5"])).toEqual([
        ReadCode.locked,
        "",
        "",
        "a",
      ]);
      expect(await s.getRaw(keys[0] ?? "")).toBeNull();
    });

    it("releases a lock only for its owner", async () => {
      const s = subject();
      const keys = keysFor(s);
      await run(s, READ_OR_LEASE, keys, ["a", "5"]);
      expect(await run(s, RELEASE, [keys[1] ?? ""], ["b"])).toBe(0);
      expect(await s.getRaw(keys[1] ?? "")).toBe("a");
      expect(await run(s, RELEASE, [keys[1] ?? ""], ["a"])).toBe(1);
      expect(await s.getRaw(keys[1] ?? "")).toBeNull();
    });

    it("invalidates keys and locks and bumps groups in one call", async () => {
      const s = subject();
      const [key, lock, group] = keysFor(s, true);
      await s.setRaw(key ?? "", entry(), 60_000);
      await s.setRaw(lock ?? "", "holder", 5_000);
      expect(await run(s, INVALIDATE, [key ?? "", lock ?? "", group ?? ""], ["1"])).toBe(2);
      expect(await s.getRaw(key ?? "")).toBeNull();
      expect(await s.getRaw(lock ?? "")).toBeNull();
      expect(await s.getRaw(group ?? "")).toBe("1");
    });
  });
}
