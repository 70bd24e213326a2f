/**
 * The private PostgreSQL primary + hot standby: migrations replayed, read-only standby, and the
 * `recovery_min_apply_delay` lag knob measured by polling the standby for a committed row.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type PostgresPair, startPostgresPair } from "./postgres-pair";

let pair: PostgresPair;
let primary: pg.Client;
let standby: pg.Client;
let nextId = 1;

beforeAll(async () => {
  pair = await startPostgresPair({ migrate: true });
  console.info(`postgres pair ready in ${pair.startupMs.toFixed(0)} ms (migrations excluded)`);
  primary = new pg.Client({ connectionString: pair.primaryUrl });
  standby = new pg.Client({ connectionString: pair.replicaUrl });
  await Promise.all([primary.connect(), standby.connect()]);
  await primary.query("CREATE TABLE lag_probe (id int PRIMARY KEY)");
  await pair.waitForReplay();
}, 60_000);

afterAll(async () => {
  await Promise.all([primary?.end(), standby?.end()].map((p) => p?.catch(() => undefined)));
  await pair?.close();
});

/** Commits a fresh row on the primary; resolves with the ms until the standby shows it. */
async function visibilityDelay(timeoutMs = 10_000): Promise<number> {
  const id = nextId++;
  const started = performance.now();
  await primary.query("INSERT INTO lag_probe VALUES ($1)", [id]);
  const deadline = started + timeoutMs;
  while (performance.now() < deadline) {
    const { rowCount } = await standby.query("SELECT 1 FROM lag_probe WHERE id = $1", [id]);
    if (rowCount === 1) {
      return performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`the standby did not show row ${id} within ${timeoutMs} ms`);
}

describe("PostgreSQL primary + hot standby", () => {
  test("the standby is in recovery and has replayed the project's migrations", async () => {
    const recovery = "SELECT pg_is_in_recovery() AS r";
    expect((await primary.query(recovery)).rows).toEqual([{ r: false }]);
    expect((await standby.query(recovery)).rows).toEqual([{ r: true }]);
    expect(pair.migrations?.applied).toBeGreaterThan(0);
    const tables =
      "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('public', 'drizzle') ORDER BY 1";
    const onPrimary = (await primary.query(tables)).rows;
    expect(onPrimary.length).toBeGreaterThan(1);
    expect((await standby.query(tables)).rows).toEqual(onPrimary);
    const applied = "SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations";
    expect((await standby.query(applied)).rows).toEqual([{ n: pair.migrations?.total }]);
  });

  test("writes to the standby fail with Postgres's read-only error", async () => {
    await expect(standby.query("INSERT INTO lag_probe VALUES (-1)")).rejects.toMatchObject({
      code: "25006",
      message: "cannot execute INSERT in a read-only transaction",
    });
  });

  test("the lag knob delays visibility of a committed row by about the configured delay", async () => {
    const measured: string[] = [];
    for (const lag of [0, 400, 150]) {
      await pair.setLag(lag);
      expect(pair.lagMs).toBe(lag);
      const delay = await visibilityDelay();
      measured.push(`${lag} -> ${delay.toFixed(1)}`);
      expect(delay).toBeGreaterThanOrEqual(lag - 5);
      expect(delay).toBeLessThan(lag + 300);
    }
    console.info(
      `standby visibility delay by recovery_min_apply_delay, ms: ${measured.join(", ")}`,
    );
  });

  test("a standby holding commits catches up as soon as the lag returns to 0", async () => {
    await pair.setLag(10_000);
    const ids = [nextId++, nextId++];
    for (const id of ids) {
      await primary.query("INSERT INTO lag_probe VALUES ($1)", [id]);
    }
    const held = await standby.query(
      "SELECT count(*)::int AS n FROM lag_probe WHERE id = ANY($1)",
      [ids],
    );
    expect(held.rows).toEqual([{ n: 0 }]);
    const lowered = performance.now();
    await pair.setLag(0);
    await pair.waitForReplay(undefined, 5000);
    expect(performance.now() - lowered).toBeLessThan(2000);
    const seen = await standby.query(
      "SELECT count(*)::int AS n FROM lag_probe WHERE id = ANY($1)",
      [ids],
    );
    expect(seen.rows).toEqual([{ n: 2 }]);
  });
});
