/**
 * Drills: Redis forgets (rule 6, docs/fault-drills.md). An evicted group generation, an evicted
 * lock under a slow loader, a FLUSHDB in the middle of a stampede, a restart from an older
 * snapshot, and a failover to a replica that missed the last writes. Each asserts read-after-write
 * (rule 1), that losing keys only ever causes misses, that a Redis that came back with older data
 * stops serving what acknowledged writes replaced within the bound, and that nothing acknowledged
 * in Postgres was lost.
 *
 * FLUSHDB and the restart need a Redis of their own (`harness/forgetful-redis.ts`) behind an
 * Upstash REST server of their own: the shared Redis serves other tests at the same time.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bundleWorkerSource } from "../../check/mutants/bundle";
import { MUTANTS } from "../../check/mutants/catalog";
import { startRedisPair } from "../../emulators/replication";
import {
  startUpstashRestServer,
  type UpstashRestServer,
} from "../../emulators/upstash-rest/server";
import { type ForgetfulRedis, startForgetfulRedis } from "../../harness/forgetful-redis";
import { quietOutput } from "../../harness/isolates";
import { startSwitchableProxy } from "../../harness/switchable-proxy";
import { newId, redis, waitFor } from "../api/helpers";
import { setDbFaults } from "../support/faults";
import { startWorkers, type WorkerGroup } from "../support/worker";
import {
  type Api,
  call,
  dbHangCount,
  persisted,
  productKey,
  put,
  read,
  useDrills,
  waitForDbHangs,
} from "./drill-support";

const stack = inject("stack");
const PRODUCT_LOAD = 'AS "wanted" left join "products"';
const drills = useDrills();

let forgetful: ForgetfulRedis;
let upstash: UpstashRestServer;
beforeAll(async () => {
  forgetful = await startForgetfulRedis();
  upstash = await startUpstashRestServer({
    redisUrl: forgetful.url,
    token: randomBytes(18).toString("base64url"),
  });
});
afterAll(async () => {
  await upstash?.close();
  await forgetful?.close();
});

/** Isolates whose cache is the private, forgetful Redis. */
const forgetfulIsolates = (count = 1) =>
  drills.isolates(count, {
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
  });

const lockKey = (id: string) => `${productKey(id)}:lock`;
const patchStock = (w: Api, id: string, stock: number) => call(w, "PATCH", id, { stock });

/** A product through `w`, its absence probed first so the create is cached. */
async function cachedProduct(w: Api, label: string): Promise<string> {
  const id = newId(label);
  expect((await read(w, id)).status).toBe(404);
  expect((await put(w, id)).status).toBe(201);
  expect(await read(w, id)).toMatchObject({ xCache: "HIT", version: 1 });
  return id;
}

/**
 * A page cached after a write (so a counter-based generation would be past 0), its group's
 * generation evicted, then a product created inside the page: what the next read of the page shows.
 */
async function pageAfterEvictedGeneration(w: Api, label: string, prefix = stack.cacheKeyPrefix) {
  const id = newId(label);
  // The page of limit 1 right before the id: ids sort after their own prefix.
  const cursor = Buffer.from(id.slice(0, -1)).toString("base64url");
  const page = async () => {
    const res = await w.fetch(`/products?limit=1&cursor=${cursor}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { id: string }[] };
    return { xCache: res.headers.get("X-Cache"), ids: body.items.map((p) => p.id) };
  };
  expect((await put(w, newId(`${label}-first`))).status).toBe(201);
  expect((await page()).ids).not.toContain(id);
  expect((await page()).xCache).toBe("HIT");
  await redis(["DEL", `${prefix}:group:product-pages`]); // evicted
  expect((await put(w, id)).status).toBe(201); // acknowledged
  return page();
}

describe("drill: a group generation is evicted", () => {
  it("never brings back a page cached before the loss after a write", async () => {
    const [w] = (await drills.isolates()) as [Api];
    const after = await pageAfterEvictedGeneration(w, "gen-evicted");
    expect(after.xCache).toBe("MISS");
    expect(after.ids).toHaveLength(1);
    expect(after.ids[0]).toMatch(/^gen-evicted-/);
  });
});

describe("drill: the lock of a slow loader is evicted", () => {
  it("refuses the slow loader's fill after a write, so the older row never comes back", async () => {
    const [a, b] = (await drills.isolates(2)) as [Api, Api];
    const id = newId("lock-evicted");
    expect((await put(a, id)).status).toBe(201); // not cached: its absence was never probed
    const base = await dbHangCount();
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });
    const slow = read(a, id); // leases, loads version 1, is held
    await waitForDbHangs(base + 1);
    await redis(["DEL", lockKey(id)]); // evicted
    const second = read(b, id); // takes a new lease, is held too
    await waitForDbHangs(base + 2);
    // A write is acknowledged while both loads of version 1 are held.
    await setDbFaults({ mode: "none", match: [] });
    const write = await patchStock(b, id, 5);
    expect([write.status, write.version]).toEqual([200, 2]);
    expect((await slow).status).toBe(200);
    expect((await second).status).toBe(200);
    // Neither held load could fill over the write: every read from now on sees version 2.
    for (const w of [a, b, a, b]) {
      expect((await read(w, id)).version).toBe(2);
    }
    expect(await persisted(id)).toMatchObject({ version: 2, stock: 5 });
  });
});

describe("drill: FLUSHDB in the middle of a stampede", () => {
  it("answers every request, loads at most once per isolate more, and loses no acknowledged write", async () => {
    const [a, b] = (await forgetfulIsolates(2)) as [Api, Api];
    const id = newId("flush");
    expect((await put(a, id)).status).toBe(201);
    const base = await dbHangCount();
    await setDbFaults({ mode: "hang", match: [PRODUCT_LOAD] });
    const stampede = [a, b].flatMap((w) => Array.from({ length: 10 }, () => read(w, id)));
    await waitForDbHangs(base + 1);
    await forgetful.flush(); // the lease, and everything else, gone mid-stampede
    await new Promise((resolve) => setTimeout(resolve, 200));
    const loads = (await dbHangCount()) - base;
    await setDbFaults({ mode: "none", match: [] });
    const answers = await Promise.all(stampede);
    expect(answers.map((x) => [x.status, x.version])).toEqual(answers.map(() => [200, 1]));
    // The first lease holder, plus at most one more per isolate after its lease vanished.
    expect(loads).toBeGreaterThanOrEqual(1);
    expect(loads).toBeLessThanOrEqual(3);

    // After the flush, a write is seen at once and nothing older comes back.
    const write = await patchStock(a, id, 7);
    expect(write.version).toBe(2);
    for (const w of [a, b]) {
      expect((await read(w, id)).version).toBe(2);
    }
    const applied = await waitFor(async () => (await persisted(id)).outbox === 0);
    expect(applied, "the write's outbox row to be applied").toBe(true);
    expect(await persisted(id)).toMatchObject({ version: 2, stock: 7 });
  });
});

/**
 * Two cached products, a snapshot, a write to each, a restart from the snapshot: what a fresh
 * isolate (no watermark seen) reads of the second product before and after one Cron run, and how
 * long the writer's isolate served the first one's replaced state.
 */
async function restoredFromSnapshot(w: Api, fresh: () => Promise<Api>, label: string) {
  const id = await cachedProduct(w, label);
  const other = await cachedProduct(w, `${label}-other`);
  const snapshot = await forgetful.snapshot();
  expect((await patchStock(w, id, 3)).version).toBe(2);
  expect((await patchStock(w, other, 4)).version).toBe(2);
  expect(await read(w, id)).toMatchObject({ xCache: "HIT", version: 2 });

  await forgetful.restartFrom(snapshot);
  const returned = performance.now();
  const reader = await fresh();
  const beforeCron = await read(reader, other);
  const writerFixed = await waitFor(async () => (await read(w, id)).version === 2, 5000);
  const writerWindowMs = performance.now() - returned;
  await reader.scheduled();
  const afterCron = await read(reader, other);
  return { id, other, beforeCron, afterCron, writerFixed, writerWindowMs };
}

describe("drill: Redis restarts from an older snapshot", () => {
  it("stops serving what an acknowledged write replaced: at once where the watermark tells, within the Cron run elsewhere", async () => {
    const [w] = (await forgetfulIsolates()) as [Api];
    const fresh = async () => ((await forgetfulIsolates()) as [Api])[0];
    const r = await restoredFromSnapshot(w, fresh, "restore");
    // A fresh isolate has seen no watermark: until the Cron run it may serve the restored entry.
    expect(r.beforeCron).toMatchObject({ xCache: "HIT", version: 1 });
    // The writer's isolate saw a higher watermark: its first read noticed and replayed at once.
    expect(r.writerFixed, "the writer's isolate to replay").toBe(true);
    expect(r.writerWindowMs).toBeLessThan(5000);
    // The Cron run replayed every applied write of the retention window.
    expect(r.afterCron).toMatchObject({ xCache: "MISS", version: 2 });
    expect(await persisted(r.id)).toMatchObject({ version: 2, stock: 3, outbox: 0 });
    expect(await persisted(r.other)).toMatchObject({ version: 2, stock: 4, outbox: 0 });
  });
});

/** Sends one command on a connection of its own that never reconnects. */
async function oneCommand(url: string, ...command: string[]): Promise<unknown> {
  const client = new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    return await client.call(command[0] ?? "PING", ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

describe("drill: failover to a replica that missed the last writes", () => {
  it("replays what the replica missed: the writer's isolate at once, every isolate within the Cron run", async () => {
    // A real replica (--replicaof, through a lag relay); the Worker's Upstash endpoint reaches
    // Redis through a proxy that the failover switches from the primary to the promoted replica.
    const pair = await startRedisPair({ lagMs: 0 });
    const primaryPort = Number(new URL(pair.primaryUrl).port);
    const proxy = await startSwitchableProxy(primaryPort);
    const endpoint = await startUpstashRestServer({
      redisUrl: proxy.url,
      token: randomBytes(18).toString("base64url"),
    });
    try {
      const bindings = {
        UPSTASH_REDIS_REST_URL: endpoint.url,
        UPSTASH_REDIS_REST_TOKEN: endpoint.token,
      };
      const [w] = (await drills.isolates(1, bindings)) as [Api];
      const id = await cachedProduct(w, "failover");
      const other = await cachedProduct(w, "failover-other");
      await pair.waitForCatchUp();
      // The replica falls behind; two writes are acknowledged by the primary alone.
      pair.setLag(60_000);
      expect((await patchStock(w, id, 3)).version).toBe(2);
      expect((await patchStock(w, other, 4)).version).toBe(2);

      // The primary dies; the replica is promoted and the endpoint now reaches it.
      // NOW: Redis 7 would otherwise wait up to 10 s for the lagging replica to catch up.
      await oneCommand(pair.primaryUrl, "SHUTDOWN", "NOSAVE", "NOW").catch(() => {});
      await oneCommand(pair.replicaUrl, "REPLICAOF", "NO", "ONE");
      proxy.switchTo(Number(new URL(pair.replicaUrl).port));

      const [fresh] = (await drills.isolates(1, bindings)) as [Api];
      expect(await read(fresh, other)).toMatchObject({ xCache: "HIT", version: 1 });
      const fixed = await waitFor(async () => (await read(w, id)).version === 2, 5000);
      expect(fixed, "the writer's isolate to replay after the failover").toBe(true);
      await fresh.scheduled();
      expect(await read(fresh, other)).toMatchObject({ version: 2 });
      expect(await persisted(id)).toMatchObject({ version: 2, stock: 3 });
      expect(await persisted(other)).toMatchObject({ version: 2, stock: 4 });
    } finally {
      await endpoint.close();
      await proxy.close();
      await pair.close().catch(() => {});
    }
  }, 30_000);
});

describe("the drills catch the mutants", () => {
  const mutantIsolates = async (mutant: "M5" | "M6", bindings: Record<string, string> = {}) => {
    const script = await bundleWorkerSource(MUTANTS[mutant].patches);
    const group = await startWorkers(1, {
      script,
      bindings: { RATE_LIMIT_WRITES: "100000", ...bindings },
      ...quietOutput(),
    });
    mutantGroups.push(group);
    return group.workers[0] as Api;
  };
  const mutantGroups: WorkerGroup[] = [];
  afterAll(async () => {
    await Promise.all(mutantGroups.map((g) => g.dispose()));
  });
  const privateRedis = () => ({
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
  });

  it("M5 (generations restart from zero after a loss) serves the old page after the write", async () => {
    // A key prefix of its own: a counter can only count from a group nobody else wrote to.
    const prefix = `${stack.cacheKeyPrefix}m5`;
    const w = await mutantIsolates("M5", { CACHE_KEY_PREFIX: prefix });
    const after = await pageAfterEvictedGeneration(w, "gen-m5", prefix);
    expect(after.xCache).toBe("HIT");
    expect(after.ids.some((id) => id.startsWith("gen-m5-") && !id.includes("first"))).toBe(false);
  }, 30_000);

  it("M6 (no replay) keeps serving the restored entry after the Cron run", async () => {
    const w = await mutantIsolates("M6", privateRedis());
    const r = await restoredFromSnapshot(
      w,
      () => mutantIsolates("M6", privateRedis()),
      "restore-m6",
    );
    expect(r.afterCron).toMatchObject({ xCache: "HIT", version: 1 });
  }, 30_000);
});

describe("the private Redis of these drills", () => {
  it("really forgets: a flush empties it and a restart brings back the snapshot's data", async () => {
    await forgetful.command("SET", "probe", "1");
    const snapshot = await forgetful.snapshot();
    await forgetful.command("SET", "probe", "2");
    await forgetful.restartFrom(snapshot);
    expect(await forgetful.command("GET", "probe")).toBe("1");
    await forgetful.flush();
    expect(await forgetful.command("DBSIZE")).toBe(0);
    // And the Upstash REST server in front of it reconnects after the restart.
    const res = await fetch(upstash.url, {
      method: "POST",
      headers: { authorization: `Bearer ${upstash.token}` },
      body: JSON.stringify(["PING"]),
    });
    expect(((await res.json()) as { result: unknown }).result).toBe("PONG");
  });
});
