/**
 * Rule 7: probing absent ids is budgeted per client (`CF-Connecting-IP`). Queries are counted at
 * a pass-through in front of the Neon server, so "reached Postgres" is measured, not inferred.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FREE_CONCURRENT_LOADS } from "../../src/http/absent-reads";
import { resetFaults, setRedisFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import { closeSql, expectError, newId, outboxRowsApplied, putProduct, startApi } from "./helpers";
import { type QueryCounter, startQueryCounter } from "./query-counter";

// Documentation-range addresses, each used once in this run, so no two tests share a budget (keys
// carry the run's prefix, so other files never do).
let nextAddress = randomBytes(1)[0] ?? 0;
const address = () => `198.51.100.${nextAddress++ % 256}`;

let counter: QueryCounter;
let group: WorkerGroup;
let w: WorkerHandle;

beforeAll(async () => {
  counter = await startQueryCounter();
  group = await startApi({ NEON_LOCAL_PROXY: counter.hostPort, ABSENT_READS_PER_MINUTE: "60" });
  w = group.workers[0] as WorkerHandle;
});
afterEach(resetFaults);
afterAll(async () => {
  await group?.dispose();
  await counter?.close();
  await closeSql();
});

const getAs = (client: string, path: string) =>
  w.fetch(path, { headers: { "CF-Connecting-IP": client } });

describe("absent-id budget (ABSENT_READS_PER_MINUTE = 60)", () => {
  it("300 ever-new absent ids from one client reach Postgres at most 60 times; hits, cached misses and other clients are unaffected", async () => {
    const attacker = address();
    const other = address();
    const cached = newId("budget-cached");
    expect((await putProduct(w, cached)).status).toBe(201);
    expect((await getAs(attacker, `/products/${cached}`)).status).toBe(200);
    const firstAbsent = `/products/${newId("absent")}`;
    // The PUT's outbox mark is a query of its own, in the background.
    expect(await outboxRowsApplied(cached), "the PUT's outbox row marked applied").toBe(true);

    counter.reset();
    const statuses: number[] = [];
    let retryAfter = 0;
    for (let i = 0; i < 300; i++) {
      const path = i === 0 ? firstAbsent : `/products/${newId("absent")}`;
      const res = await getAs(attacker, path);
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = Number(res.headers.get("Retry-After"));
        await expectError(res, 429, "rate_limited");
      } else {
        await res.body?.cancel();
      }
    }
    const reachedPostgres = counter.count();
    const notFound = statuses.filter((s) => s === 404).length;
    const refused = statuses.filter((s) => s === 429).length;
    console.log(
      `[absent-budget] 300 absent ids: ${notFound} x 404, ${refused} x 429, ${reachedPostgres} queries reached Postgres`,
    );
    expect(notFound + refused).toBe(300);
    expect(reachedPostgres).toBeLessThanOrEqual(60);
    expect(reachedPostgres).toBeGreaterThanOrEqual(55);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // The cache still answers the attacker: a hit, and a miss it cached earlier.
    const hit = await getAs(attacker, `/products/${cached}`);
    expect(hit.status).toBe(200);
    expect(hit.headers.get("X-Cache")).toBe("HIT");
    const cachedMiss = await getAs(attacker, firstAbsent);
    expect(cachedMiss.status).toBe(404);
    expect(cachedMiss.headers.get("X-Cache")).toBe("HIT");

    // Another client is not affected, neither for absent ids nor for products.
    counter.reset();
    const theirs = await getAs(other, `/products/${newId("absent")}`);
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get("X-Cache")).toBe("MISS");
    expect(counter.count()).toBe(1);
    expect((await getAs(other, `/products/${cached}`)).status).toBe(200);

    // A read the cache cannot answer needs Postgres: refused for the attacker only.
    const uncached = newId("budget-uncached");
    expect((await putProduct(w, uncached)).status).toBe(201);
    await expectError(await getAs(attacker, `/products/${uncached}`), 429, "rate_limited");
    await expectError(await getAs(attacker, `/products/${uncached}/reviews`), 429, "rate_limited");
    expect((await getAs(other, `/products/${uncached}`)).status).toBe(200);
  }, 60_000);

  it("300 ever-new absent ids in waves of 50 concurrent reads reach Postgres at most 60 + FREE_CONCURRENT_LOADS times", async () => {
    // Waves small enough that this machine's Redis answers in time (a flood past that makes the
    // cache and the budget fail open, rule 4), large enough that concurrent reads pass one check.
    const attacker = address();
    counter.reset();
    const statuses: number[] = [];
    const xCache = new Set<string | null>();
    for (let wave = 0; wave < 6; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => getAs(attacker, `/products/${newId("burst")}`)),
      );
      statuses.push(...answers.map((res) => res.status));
      for (const res of answers) {
        xCache.add(res.headers.get("X-Cache"));
      }
      await Promise.all(answers.map((res) => res.body?.cancel()));
    }
    const reachedPostgres = counter.count();
    const notFound = statuses.filter((s) => s === 404).length;
    const refused = statuses.filter((s) => s === 429).length;
    console.log(
      `[absent-budget] 300 absent ids in waves of 50: ${notFound} x 404, ${refused} x 429, ${reachedPostgres} queries reached Postgres`,
    );
    expect(xCache.has("BYPASS"), "Redis answered in time (no fail-open)").toBe(false);
    expect(notFound + refused).toBe(300);
    expect(reachedPostgres).toBeLessThanOrEqual(60 + FREE_CONCURRENT_LOADS);
    expect(reachedPostgres).toBeGreaterThanOrEqual(55);
  }, 60_000);

  it("reads of existing products never use up the budget", async () => {
    const client = address();
    const ids = Array.from({ length: 70 }, () => newId("budget-real"));
    for (const id of ids) {
      expect((await putProduct(w, id)).status).toBe(201);
    }
    for (const id of ids) {
      expect((await getAs(client, `/products/${id}`)).status).toBe(200);
    }
    expect((await getAs(client, `/products/${newId("absent")}`)).status).toBe(404);
  }, 60_000);

  it("a client past its budget never hands its 429 to another client reading the same key at the same time", async () => {
    const attacker = address();
    const victim = address();
    for (let i = 0; i < 61; i++) {
      await (await getAs(attacker, `/products/${newId("absent")}`)).body?.cancel();
    }
    await expectError(await getAs(attacker, `/products/${newId("absent")}`), 429, "rate_limited");
    // Slow Redis keeps each read's batch open, so concurrent reads of one key share it.
    await setRedisFaults({ latencyMs: 30 });
    for (let i = 0; i < 10; i++) {
      const path = `/products/${newId("shared")}`;
      const [theirs, mine] = await Promise.all([getAs(attacker, path), getAs(victim, path)]);
      // The attacker may be answered by the victim's batch (which cost it no query) or refused;
      // the victim is never refused (the ordering itself is pinned in src/http/absent-reads.test.ts).
      expect([404, 429]).toContain(theirs.status);
      expect(mine.status).toBe(404);
      await Promise.all([theirs.body?.cancel(), mine.body?.cancel()]);
    }
  }, 60_000);

  it("is not enforced while Redis is unusable (fail-open): absent reads answer 404 from Postgres", async () => {
    const client = address();
    await setRedisFaults({ mode: "error" });
    const statuses = new Set<number>();
    for (let i = 0; i < 80; i++) {
      const res = await getAs(client, `/products/${newId("absent")}`);
      statuses.add(res.status);
      await res.body?.cancel();
    }
    expect([...statuses]).toEqual([404]);
  }, 60_000);
});
