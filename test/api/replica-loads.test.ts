/**
 * Loads from a read replica (`DATABASE_REPLICA_URL`, rule 8): used only when the revision Redis
 * holds proves the replica recent enough; otherwise, and when the replica fails, the primary.
 *
 * The "replica" here is a second real database whose rows the test sets, so its lag is exact
 * (the real hot standby with replication lag is exercised by the replica drills and the checker).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createMigratedDatabase, type TestDatabase } from "../../harness/test-database";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import { newId, type Product, putProduct, redis, startApi, writeHeaders } from "./helpers";

const stack = inject("stack");
let replicaDb: TestDatabase;
let replica: pg.Pool;
let group: WorkerGroup;
let w: WorkerHandle;
beforeAll(async () => {
  replicaDb = await createMigratedDatabase(`${stack.runId}_replica`);
  replica = new pg.Pool({ connectionString: replicaDb.url, max: 2 });
  // pg-pool re-emits an error of a client it is still ending (a FORCE-dropped database terminates
  // it) on the pool: without a listener that is an uncaught exception.
  replica.on("error", () => {});
  group = await startApi({ DATABASE_REPLICA_URL: replicaDb.url });
  [w] = group.workers as [WorkerHandle];
});
afterAll(async () => {
  await group.dispose();
  await replica.end();
  await replicaDb.drop();
});

const productKey = (id: string) => `${stack.cacheKeyPrefix}:product:${id}`;

/** Makes the replica hold product `id` at revision `rev`, named `name` (to tell who answered). */
async function replicaHas(id: string, rev: number, name: string): Promise<void> {
  await replica.query(
    `INSERT INTO products (id, name, price_cents) VALUES ($1, $2, 100)
     ON CONFLICT (id) DO UPDATE SET name = $2`,
    [id, name],
  );
  await replica.query(
    `INSERT INTO product_revisions (product_id, rev) VALUES ($1, $2)
     ON CONFLICT (product_id) DO UPDATE SET rev = $2`,
    [id, rev],
  );
}

/** Leaves a tombstone at `rev` in Redis: a miss that proves every acknowledged write is ≤ rev. */
async function tombstone(id: string, rev: number): Promise<void> {
  await redis(["SET", productKey(id), `ca2|t|0|0|${rev}|{"t":1}`, "PX", 60_000]);
}

/** A product written twice through the API (revision 2 on the primary). */
async function productAtRev2(): Promise<string> {
  const id = newId("rp");
  await putProduct(w, id);
  await w.fetch(`/products/${id}`, {
    method: "PATCH",
    headers: writeHeaders(),
    body: JSON.stringify({ name: "Primary lamp" }),
  });
  return id;
}

const nameOf = async (res: Response | { json(): Promise<unknown> }) =>
  ((await res.json()) as Product).name;

describe("replica loads", () => {
  it("read the replica when the stored revision proves it recent", async () => {
    const id = await productAtRev2();
    await replicaHas(id, 2, "Replica lamp");
    await tombstone(id, 2);
    const res = await w.fetch(`/products/${id}`);
    expect(res.headers.get("X-Cache")).toBe("MISS");
    expect(await nameOf(res)).toBe("Replica lamp");
  });

  it("go to the primary when the replica is behind the stored revision", async () => {
    const id = await productAtRev2();
    await replicaHas(id, 1, "Stale replica lamp");
    await tombstone(id, 2);
    const res = await w.fetch(`/products/${id}`);
    expect(await nameOf(res)).toBe("Primary lamp");
    // And the fill kept the primary's state.
    expect(await nameOf(await w.fetch(`/products/${id}`))).toBe("Primary lamp");
  });

  it("go to the primary when Redis holds nothing for the entry: a replica may lag any write", async () => {
    const id = await productAtRev2();
    await replicaHas(id, 2, "Replica lamp");
    await redis(["DEL", productKey(id)]);
    expect(await nameOf(await w.fetch(`/products/${id}`))).toBe("Primary lamp");
  });

  it("hold a bookmarked read to the bookmark's revision, above the stored one", async () => {
    const id = await productAtRev2();
    const bookmark =
      (
        await w.fetch(`/products/${id}`, {
          method: "PATCH",
          headers: writeHeaders(),
          body: JSON.stringify({ name: "Newest lamp" }),
        })
      ).headers.get("Bookmark") ?? "";
    // Redis went back to revision 2 (a lagging read region); the replica is at 2 as well.
    await replicaHas(id, 2, "Replica lamp");
    await tombstone(id, 2);
    const res = await w.fetch(`/products/${id}`, { headers: { Bookmark: bookmark } });
    expect(await nameOf(res)).toBe("Newest lamp");
  });

  it("fall back to the primary when the replica fails", async () => {
    const id = await productAtRev2();
    const broken = await startApi({
      DATABASE_REPLICA_URL: replicaDb.url.replace(replicaDb.name, "no_such_database"),
    });
    try {
      await tombstone(id, 2);
      const res = await (broken.workers[0] as WorkerHandle).fetch(`/products/${id}`);
      expect([res.status, await nameOf(res)]).toEqual([200, "Primary lamp"]);
    } finally {
      await broken.dispose();
    }
  });
});
