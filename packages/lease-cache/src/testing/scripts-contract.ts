/**
 * Behaviour of the cache's Lua scripts, written once and run against every implementation of the
 * port: the in-memory stand-in and real Redis through every adapter (Upstash REST, ioredis,
 * node-redis). If the stand-in drifts from Redis, or an adapter mangles replies, a run fails.
 */
import { describe, expect, it } from "vitest";
import { encodeEntry, encodeTombstone } from "../envelope.js";
import { lockKeyOf, revisionKeyOf } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { type CallCounter, runScript } from "../run-script.js";
import {
  DROP_AND_LEASE,
  FILL,
  FillCode,
  INVALIDATE,
  InvalidateMode,
  type LuaScript,
  PEEK,
  READ_OR_LEASE,
  RELEASE,
  ReadCode,
} from "../scripts.js";

/** What a contract run needs besides the port: raw access to keys. */
export type ScriptsSubject = {
  port: RedisPort;
  getRaw(key: string): Promise<string | null>;
  setRaw(key: string, value: string, ttlMs?: number): Promise<void>;
  deleteRaw(key: string): Promise<void>;
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
  /** Value key, lock key, revision marker, watermark key and group key of a fresh entry. */
  const keysOf = (s: ScriptsSubject) => {
    n += 1;
    const key = `${s.prefix}:c${n}`;
    return {
      key,
      lock: lockKeyOf(key),
      marker: revisionKeyOf(key),
      wm: `${s.prefix}:wm${n}`,
      group: `${s.prefix}:g${n}`,
    };
  };
  const value = (rev?: number, generation = "0", window = 0) =>
    encodeEntry(
      {
        filledAt: 1,
        loaded: { found: true, value: { v: rev ?? 0 } },
        ...(rev === undefined ? {} : { rev }),
      },
      { generation, staleWindowMs: window },
    );
  const readOrLease = (
    s: ScriptsSubject,
    k: ReturnType<typeof keysOf>,
    token: string,
    opts: { group?: boolean; minRev?: number } = {},
  ) =>
    run(
      s,
      READ_OR_LEASE,
      opts.group ? [k.key, k.lock, k.wm, k.marker, k.group] : [k.key, k.lock, k.wm, k.marker],
      [token, "5", opts.minRev === undefined ? "" : String(opts.minRev)],
    );
  const fill = (
    s: ScriptsSubject,
    k: ReturnType<typeof keysOf>,
    token: string,
    state: string,
    opts: { gen?: string; rev?: number; replica?: boolean; group?: boolean } = {},
  ) =>
    run(s, FILL, opts.group ? [k.key, k.lock, k.marker, k.group] : [k.key, k.lock, k.marker], [
      token,
      state,
      "60000",
      opts.gen ?? "0",
      opts.rev === undefined ? "" : String(opts.rev),
      opts.replica ? "1" : "",
      "3600",
    ]);
  type Written = { key: string; lock: string; rev: string; state: string; marker?: string };
  const invalidate = (
    s: ScriptsSubject,
    wm: string,
    opts: { entries?: Written[]; groups?: [string, string][]; writeId?: number; replay?: boolean },
  ) => {
    const entries = opts.entries ?? [];
    const groups = opts.groups ?? [];
    return run(
      s,
      INVALIDATE,
      [
        ...entries.flatMap((e) => [e.key, e.lock, e.marker ?? revisionKeyOf(e.key)]),
        ...groups.map(([g]) => g),
        wm,
      ],
      [
        String(entries.length),
        String(groups.length),
        opts.writeId === undefined ? "" : String(opts.writeId),
        opts.replay ? InvalidateMode.replay : InvalidateMode.write,
        ...entries.flatMap((e) => [e.rev, e.state, "60000"]),
        ...groups.map(([, gen]) => gen),
      ],
    );
  };

  describe(`cache scripts on ${name}`, () => {
    it("leases an empty key to the first reader and names it to the second", async () => {
      const s = subject();
      const k = keysOf(s);
      expect(await readOrLease(s, k, "a")).toEqual([ReadCode.leased, "", "0", "a", "", ""]);
      expect(await readOrLease(s, k, "b")).toEqual([ReadCode.locked, "", "0", "a", "", ""]);
      const ttl = await s.pttl(k.lock);
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });

    it("fills only for the lease holder, then releases the lock", async () => {
      const s = subject();
      const k = keysOf(s);
      await readOrLease(s, k, "a");
      expect(await fill(s, k, "b", value())).toBe(FillCode.leaseLost);
      expect(await s.getRaw(k.key)).toBeNull();
      expect(await fill(s, k, "a", value())).toBe(FillCode.stored);
      expect(await s.getRaw(k.key)).toBe(value());
      expect(await s.getRaw(k.lock)).toBeNull();
      expect(await s.pttl(k.key)).toBeGreaterThan(59_000);
      expect(await readOrLease(s, k, "c")).toEqual([ReadCode.fresh, value(), "0", "", "", ""]);
    });

    it("refuses a fill after a writer's invalidation deleted the lease", async () => {
      const s = subject();
      const k = keysOf(s);
      await readOrLease(s, k, "a");
      await invalidate(s, k.wm, { entries: [{ key: k.key, lock: k.lock, rev: "", state: "" }] });
      expect(await fill(s, k, "a", value())).toBe(FillCode.leaseLost);
      expect(await s.getRaw(k.key)).toBeNull();
    });

    it("refuses a fill whose group moved on, and releases the lock", async () => {
      const s = subject();
      const k = keysOf(s);
      expect(await readOrLease(s, k, "a", { group: true })).toEqual([
        ReadCode.leased,
        "",
        "a",
        "a",
        "",
        "",
      ]);
      await invalidate(s, k.wm, { groups: [[k.group, "g2"]] });
      expect(await fill(s, k, "a", value(undefined, "a"), { gen: "a", group: true })).toBe(
        FillCode.groupMoved,
      );
      expect(await s.getRaw(k.lock)).toBeNull();
      expect(await readOrLease(s, k, "b", { group: true })).toEqual([
        ReadCode.leased,
        "",
        "g2",
        "b",
        "",
        "",
      ]);
    });

    it("gives a group whose generation was lost a fresh one, so its old entries never come back", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.group, "g1");
      await s.setRaw(k.key, value(undefined, "g1"), 60_000);
      expect(((await readOrLease(s, k, "x", { group: true })) as unknown[])[0]).toBe(
        ReadCode.fresh,
      );
      await s.deleteRaw(k.group);
      expect(await readOrLease(s, k, "a", { group: true })).toEqual([
        ReadCode.leased,
        "",
        "a",
        "a",
        "",
        "",
      ]);
      expect(await s.getRaw(k.group)).toBe("a");
      // A fill under the lost generation is refused; one under the new one is stored.
      await s.deleteRaw(k.lock);
      await readOrLease(s, k, "b", { group: true });
      expect(await fill(s, k, "b", value(undefined, "g1"), { gen: "g1", group: true })).toBe(
        FillCode.groupMoved,
      );
    });

    it("treats an entry of an older generation as a miss", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.group, "g1");
      await s.setRaw(k.key, value(undefined, "g0"), 60_000);
      expect(await readOrLease(s, k, "a", { group: true })).toEqual([
        ReadCode.leased,
        "",
        "g1",
        "a",
        "",
        "",
      ]);
    });

    it("reports an entry inside its stale window and gives the refresh to one reader", async () => {
      const s = subject();
      const k = keysOf(s);
      const stale = value(3, "0", 60_000);
      await s.setRaw(k.key, stale, 120_000);
      expect(await readOrLease(s, k, "a")).toEqual([ReadCode.fresh, stale, "0", "", "3", ""]);
      await s.setPttl(k.key, 30_000);
      expect(await readOrLease(s, k, "a")).toEqual([
        ReadCode.staleRefresh,
        stale,
        "0",
        "a",
        "3",
        "",
      ]);
      expect(await readOrLease(s, k, "b")).toEqual([ReadCode.stale, stale, "0", "a", "3", ""]);
    });

    it("treats a tombstone and an entry older than the reader's minimum as misses that report their revision", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.key, encodeTombstone(7, 1), 60_000);
      expect(await readOrLease(s, k, "a")).toEqual([ReadCode.leased, "", "0", "a", "7", ""]);
      const other = keysOf(s);
      await s.setRaw(other.key, value(4), 60_000);
      expect(await readOrLease(s, other, "a", { minRev: 4 })).toEqual([
        ReadCode.fresh,
        value(4),
        "0",
        "",
        "4",
        "",
      ]);
      expect(await readOrLease(s, other, "b", { minRev: 5 })).toEqual([
        ReadCode.leased,
        "",
        "0",
        "b",
        "4",
        "",
      ]);
    });

    it("fences fills by revision: never older than what is stored, and from a replica only over a stored revision", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.key, encodeTombstone(5, 1), 60_000);
      await readOrLease(s, k, "a");
      expect(await fill(s, k, "a", value(4), { rev: 4 })).toBe(FillCode.older);
      await readOrLease(s, k, "b");
      expect(await fill(s, k, "b", value(5), { rev: 5, replica: true })).toBe(FillCode.stored);
      expect(await s.getRaw(k.key)).toBe(value(5));

      const empty = keysOf(s);
      await readOrLease(s, empty, "c");
      expect(await fill(s, empty, "c", value(9), { rev: 9, replica: true })).toBe(
        FillCode.unfenced,
      );
      expect(await s.getRaw(empty.key)).toBeNull();
      await readOrLease(s, empty, "d");
      expect(await fill(s, empty, "d", value(9), { rev: 9 })).toBe(FillCode.stored);
    });

    it("keeps a revision marker past the entry: a miss after expiry still fences a replica load, a lost one does not", async () => {
      const s = subject();
      const k = keysOf(s);
      await readOrLease(s, k, "a");
      expect(await fill(s, k, "a", value(6), { rev: 6 })).toBe(FillCode.stored);
      expect(await s.getRaw(k.marker)).toBe("6");
      const markerTtl = await s.pttl(k.marker);
      expect(markerTtl).toBeGreaterThan(3_500_000);
      // The entry expires; its marker still names the newest revision, for the load and the fill.
      await s.deleteRaw(k.key);
      expect(await readOrLease(s, k, "b")).toEqual([ReadCode.leased, "", "0", "b", "6", ""]);
      expect(await fill(s, k, "b", value(5), { rev: 5, replica: true })).toBe(FillCode.older);
      await readOrLease(s, k, "c");
      expect(await fill(s, k, "c", value(6), { rev: 6, replica: true })).toBe(FillCode.stored);
      // A writer raises a stored marker (keeping its lifetime) and never creates a lost one.
      const write = (rev: number) => ({
        key: k.key,
        lock: k.lock,
        rev: String(rev),
        state: value(rev),
      });
      await invalidate(s, k.wm, { entries: [write(8)] });
      expect(await s.getRaw(k.marker)).toBe("8");
      expect(await s.pttl(k.marker)).toBeGreaterThan(3_500_000);
      await invalidate(s, k.wm, { entries: [write(7)] });
      expect(await s.getRaw(k.marker)).toBe("8");
      await s.deleteRaw(k.key);
      await s.deleteRaw(k.marker);
      await invalidate(s, k.wm, { entries: [write(9)] });
      expect(await s.getRaw(k.marker)).toBeNull();
      expect(await readOrLease(s, k, "d")).toEqual([ReadCode.leased, "", "0", "d", "", ""]);
      expect(await fill(s, k, "d", value(9), { rev: 9, replica: true })).toBe(FillCode.unfenced);
    });

    it("lets a writer replace a stored entry that is not newer, never a newer one, and never create one", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.key, value(3), 60_000);
      await s.setRaw(k.lock, "reader", 5_000);
      const written = (rev: number) => ({
        key: k.key,
        lock: k.lock,
        rev: String(rev),
        state: value(rev),
      });
      expect(await invalidate(s, k.wm, { entries: [written(4)] })).toEqual([1, ""]);
      expect(await s.getRaw(k.key)).toBe(value(4));
      expect(await s.getRaw(k.lock)).toBeNull();
      expect(await invalidate(s, k.wm, { entries: [written(4)] })).toEqual([1, ""]);
      expect(await invalidate(s, k.wm, { entries: [written(2)] })).toEqual([0, ""]);
      expect(await s.getRaw(k.key)).toBe(value(4));

      const absent = keysOf(s);
      await s.setRaw(absent.lock, "reader", 5_000);
      expect(
        await invalidate(s, absent.wm, {
          entries: [{ key: absent.key, lock: absent.lock, rev: "8", state: value(8) }],
        }),
      ).toEqual([0, ""]);
      expect(await s.getRaw(absent.key)).toBeNull();
      expect(await s.getRaw(absent.lock)).toBeNull();
    });

    it("on replay, tombstones only entries older than the write", async () => {
      const s = subject();
      const old = keysOf(s);
      const same = keysOf(s);
      await s.setRaw(old.key, value(3), 60_000);
      await s.setRaw(same.key, value(5), 60_000);
      const tomb = encodeTombstone(5, 1);
      expect(
        await invalidate(s, old.wm, {
          replay: true,
          entries: [
            { key: old.key, lock: old.lock, rev: "5", state: tomb },
            { key: same.key, lock: same.lock, rev: "5", state: tomb },
          ],
        }),
      ).toEqual([1, ""]);
      expect(await s.getRaw(old.key)).toBe(tomb);
      expect(await s.getRaw(same.key)).toBe(value(5));
    });

    it("deletes unversioned entries with their locks, sets group generations and raises the watermark only", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.key, value(), 60_000);
      await s.setRaw(k.lock, "holder", 5_000);
      expect(
        await invalidate(s, k.wm, {
          entries: [{ key: k.key, lock: k.lock, rev: "", state: "" }],
          groups: [[k.group, "g7"]],
          writeId: 12,
        }),
      ).toEqual([1, ""]);
      expect(await s.getRaw(k.key)).toBeNull();
      expect(await s.getRaw(k.lock)).toBeNull();
      expect(await s.getRaw(k.group)).toBe("g7");
      expect(await s.getRaw(k.wm)).toBe("12");
      expect(await invalidate(s, k.wm, { writeId: 9 })).toEqual([0, "12"]);
      expect(await s.getRaw(k.wm)).toBe("12");
      expect(await readOrLease(s, k, "a")).toEqual([ReadCode.leased, "", "0", "a", "", "12"]);
    });

    it("peeks without writing: the entry, its group's generation, the watermark and the remaining lifetime", async () => {
      const s = subject();
      const k = keysOf(s);
      expect(await run(s, PEEK, [k.key, k.wm, k.group], [])).toEqual(["", "", "", -2]);
      expect(await s.getRaw(k.group)).toBeNull();
      await s.setRaw(k.group, "g1");
      await s.setRaw(k.key, value(2, "g1"), 60_000);
      await s.setRaw(k.wm, "4");
      const [raw, gen, wm, pttl] = (await run(s, PEEK, [k.key, k.wm, k.group], [])) as unknown[];
      expect([raw, gen, wm]).toEqual([value(2, "g1"), "g1", "4"]);
      expect(pttl).toBeGreaterThan(59_000);
      expect(await run(s, PEEK, [k.key, k.wm], [])).toEqual([
        value(2, "g1"),
        "0",
        "4",
        expect.any(Number),
      ]);
    });

    it("deletes a foreign entry and leases the key", async () => {
      const s = subject();
      const k = keysOf(s);
      await s.setRaw(k.key, "null");
      expect(await readOrLease(s, k, "a")).toEqual([ReadCode.leased, "", "0", "a", "", ""]);
      expect(await s.getRaw(k.key)).toBeNull();
    });

    it("drops an undecodable entry only if it is unchanged", async () => {
      const s = subject();
      const k = keysOf(s);
      const bad = "ca2|v|0|0||{bad";
      await s.setRaw(k.key, bad, 60_000);
      expect(
        await run(s, DROP_AND_LEASE, [k.key, k.lock], ["ca2|v|0|0||{other", "a", "5"]),
      ).toEqual([ReadCode.leased, "", "", "a", "", ""]);
      expect(await s.getRaw(k.key)).toBe(bad);
      expect(await run(s, DROP_AND_LEASE, [k.key, k.lock], [bad, "b", "5"])).toEqual([
        ReadCode.locked,
        "",
        "",
        "a",
        "",
        "",
      ]);
      expect(await s.getRaw(k.key)).toBeNull();
    });

    it("releases a lock only for its owner", async () => {
      const s = subject();
      const k = keysOf(s);
      await readOrLease(s, k, "a");
      expect(await run(s, RELEASE, [k.lock], ["b"])).toBe(0);
      expect(await s.getRaw(k.lock)).toBe("a");
      expect(await run(s, RELEASE, [k.lock], ["a"])).toBe(1);
      expect(await s.getRaw(k.lock)).toBeNull();
    });
  });
}
