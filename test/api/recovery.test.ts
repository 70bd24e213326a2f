/**
 * When Redis comes back with older data (rule 6): the Cron job replays the retained outbox rows, so
 * an entry an acknowledged write had replaced is gone within one run; an isolate that saw a higher
 * watermark notices at once and replays without waiting; replays cost no misses where Redis lost
 * nothing; applied rows are pruned after the retention window.
 *
 * "Older data" is made here by putting back what a snapshot would hold (the old entry, the old
 * watermark); the real restart from a snapshot is exercised by the forgetting drills.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  closeSql,
  newId,
  type Product,
  putProduct,
  redis,
  sql,
  startApi,
  waitFor,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
let group: WorkerGroup;
let writer: WorkerHandle;
beforeAll(async () => {
  group = await startApi({}, 1);
  [writer] = group.workers as [WorkerHandle];
});
afterAll(async () => {
  await group.dispose();
  await closeSql();
});

const productKey = (id: string) => `${stack.cacheKeyPrefix}:product:${id}`;
const watermarkKey = `${stack.cacheKeyPrefix}:watermark`;
const stockOf = async (res: { json(): Promise<unknown> }) => ((await res.json()) as Product).stock;
const patchStock = (w: WorkerHandle, id: string, stock: number) =>
  w.fetch(`/products/${id}`, {
    method: "PATCH",
    headers: writeHeaders(),
    body: JSON.stringify({ stock }),
  });

/** A cached product, what Redis held for it, then a write Redis acknowledged. */
async function snapshotThenWrite(w: WorkerHandle) {
  const id = newId("rc");
  expect((await w.fetch(`/products/${id}`)).status).toBe(404);
  await putProduct(w, id);
  expect((await w.fetch(`/products/${id}`)).headers.get("X-Cache")).toBe("HIT");
  const snapshot = {
    entry: String(await redis(["GET", productKey(id)])),
    watermark: await redis(["GET", watermarkKey]),
  };
  expect((await patchStock(w, id, 3)).status).toBe(200);
  return { id, snapshot };
}

/** Puts back what the snapshot held, as a restart from it would. */
async function restore(id: string, snapshot: { entry: string; watermark: unknown }) {
  await redis(["SET", productKey(id), snapshot.entry, "PX", 300_000]);
  await (snapshot.watermark === null
    ? redis(["DEL", watermarkKey])
    : redis(["SET", watermarkKey, String(snapshot.watermark)]));
}

describe("recovery from a Redis that went back in time", () => {
  it("the Cron job's replay removes an entry restored from an older snapshot", async () => {
    const { id, snapshot } = await snapshotThenWrite(writer);
    await restore(id, snapshot);
    // A fresh isolate knows no watermark, so only the scheduled replay can help it.
    const fresh = await startApi();
    try {
      const [reader] = fresh.workers as [WorkerHandle];
      expect(await stockOf(await reader.fetch(`/products/${id}`))).toBe(12);
      await reader.scheduled();
      const after = await reader.fetch(`/products/${id}`);
      expect(after.headers.get("X-Cache")).toBe("MISS");
      expect(await stockOf(after)).toBe(3);
    } finally {
      await fresh.dispose();
    }
  });

  it("an isolate that saw a higher watermark replays at once, without waiting for the Cron run", async () => {
    // An isolate of its own: a regression an earlier test left for `writer` to notice would start
    // its 5 s report cooldown and hide the one this test makes.
    const own = await startApi({}, 1);
    try {
      const [w] = own.workers as [WorkerHandle];
      const { id, snapshot } = await snapshotThenWrite(w);
      await restore(id, snapshot);
      // This read finds the older watermark, serves the restored entry, and starts the replay.
      await w.fetch(`/products/${id}`);
      const replayed = await waitFor(
        async () => (await stockOf(await w.fetch(`/products/${id}`))) === 3,
        3000,
      );
      expect(replayed).toBe(true);
    } finally {
      await own.dispose();
    }
  });

  it("a replay on a Redis that lost nothing leaves current entries cached", async () => {
    const id = newId("rc");
    await writer.fetch(`/products/${id}`);
    await putProduct(writer, id);
    await patchStock(writer, id, 4);
    await writer.scheduled();
    const read = await writer.fetch(`/products/${id}`);
    expect([read.headers.get("X-Cache"), await stockOf(read)]).toEqual(["HIT", 4]);
  });

  it("applied outbox rows are kept for the retention window, then pruned", async () => {
    const id = newId("rc");
    await putProduct(writer, id);
    const rows = () =>
      sql<{ id: string }>("SELECT id FROM outbox WHERE $1 = ANY(keys)", [productKey(id)]);
    expect(
      await waitFor(
        async () =>
          (
            await sql("SELECT 1 FROM outbox WHERE $1 = ANY(keys) AND applied_at IS NOT NULL", [
              productKey(id),
            ])
          ).length === 1,
        3000,
      ),
    ).toBe(true);
    await writer.scheduled();
    expect(await rows()).toHaveLength(1);
    // Age the row past the retention window (CACHE_TTL + STALE_TTL) instead of waiting for it.
    await sql("UPDATE outbox SET applied_at = now() - interval '1 hour' WHERE $1 = ANY(keys)", [
      productKey(id),
    ]);
    await writer.scheduled();
    expect(await rows()).toEqual([]);
  });
});
