/**
 * The revision marker's guarantee, and mutant M9 that breaks it, on the real Redis: a writer never
 * creates a marker Redis lost, so a late call of an older write cannot leave a fence below a write
 * acknowledged before it. With M9's invalidate (it creates the marker), a lagging replica's older
 * state passes the fill's fence and is stored: a stale fill. The checker's replica profile cannot
 * provoke this order (a marker lost between a newer write and an older write's late call) on its
 * own, so this drill sets it up step by step.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { cacheScripts, type LuaScript } from "lease-cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MUTANTS } from "../../check/mutants/catalog";
import { applyPatch } from "../../check/mutants/patch-plugin";

const scriptNamed = (name: string): LuaScript => {
  const found = cacheScripts.find((s) => s.name === name);
  if (found === undefined) {
    throw new Error(`no script ${name}`);
  }
  return found;
};
const READ_OR_LEASE = scriptNamed("readOrLease").redis.source;
const FILL = scriptNamed("fill").redis.source;
const INVALIDATE = scriptNamed("invalidate").redis.source;
const M9_INVALIDATE = MUTANTS.M9.patches.reduce(
  (source, patch) => ("point" in patch ? applyPatch(source, patch) : source),
  INVALIDATE,
);

let redis: Redis;
const prefix = `m9-${randomBytes(4).toString("hex")}`;

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) {
    await redis.del(...keys);
  }
  await redis.quit();
});

const entry = (rev: number) => `ca2|v|0|0|${rev}|{"t":1,"v":{"rev":${rev}}}`;

/** Lost marker, late older write, lagging replica: what the fill does with the replica's state. */
async function lostMarkerThenLateOlderWrite(invalidate: string, name: string) {
  const key = `${prefix}:${name}:product:p1`;
  const [lock, marker, watermark] = [`${key}:lock`, `${key}:rev`, `${prefix}:${name}:watermark`];
  const readOrLease = (token: string) =>
    redis.eval(READ_OR_LEASE, 4, key, lock, watermark, marker, token, "5", "");
  const fill = (token: string, rev: number, replica: boolean) =>
    redis.eval(
      FILL,
      3,
      key,
      lock,
      marker,
      token,
      entry(rev),
      "60000",
      "0",
      String(rev),
      replica ? "1" : "",
      "3600",
    );
  const write = (rev: number) =>
    redis.eval(
      invalidate,
      4,
      key,
      lock,
      marker,
      watermark,
      "1",
      "0",
      "",
      "w",
      String(rev),
      entry(rev),
      "60000",
    );

  // Revision 9 is acknowledged and cached from the primary (entry and marker at 9).
  await readOrLease("a");
  expect(await fill("a", 9, false)).toBe(1);
  // Redis loses both keys (eviction); then the late call of the older write (revision 7) arrives.
  await redis.del(key, marker);
  await write(7);
  const fence = ((await readOrLease("b")) as unknown[])[4];
  // A replica that has replayed revision 7 but not 9 answers the load.
  const filled = await fill("b", 7, true);
  return { markerAfterLateWrite: fence, filled, stored: await redis.get(key) };
}

describe("revision markers on the real Redis", () => {
  it("a late call of an older write never recreates a lost marker, so a lagging replica's state is refused", async () => {
    expect(await lostMarkerThenLateOlderWrite(INVALIDATE, "real")).toEqual({
      markerAfterLateWrite: "",
      filled: -3,
      stored: null,
    });
  });

  it("mutant M9 (a writer creates the lost marker) lets the replica's older state be filled", async () => {
    expect(M9_INVALIDATE).not.toBe(INVALIDATE);
    expect(await lostMarkerThenLateOlderWrite(M9_INVALIDATE, "m9")).toEqual({
      markerAfterLateWrite: "7",
      filled: 1,
      stored: entry(7),
    });
  });
});
