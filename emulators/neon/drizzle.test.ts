import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { asc, sql as dsql } from "drizzle-orm";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import {
  bigint,
  boolean,
  char,
  date,
  doublePrecision,
  inet,
  integer,
  interval,
  json,
  jsonb,
  numeric,
  pgTable,
  real,
  smallint,
  text,
  time,
  timestamp,
  uuid,
  varchar,
} from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import ws from "ws";
import { pointNeonAtLocal } from "./neon-config";
import { type NeonServer, startNeonServer } from "./server";
import { createFreshDatabase, type FreshDatabase } from "./test-support";

const things = pgTable("things", {
  id: integer().primaryKey(),
  small: smallint(),
  big: bigint({ mode: "bigint" }),
  num: numeric(),
  flt: real(),
  dbl: doublePrecision(),
  flag: boolean(),
  label: text(),
  code: varchar({ length: 10 }),
  ch: char({ length: 3 }),
  uid: uuid(),
  doc: json(),
  docb: jsonb(),
  day: date(),
  clock: time(),
  ts: timestamp({ precision: 6 }),
  tsz: timestamp({ withTimezone: true }),
  tszText: timestamp({ withTimezone: true, mode: "string" }),
  span: interval(),
  ip: inet(),
  tags: text().array(),
  nums: integer().array(),
});

const DDL = `CREATE TABLE things (
  id int PRIMARY KEY, small int2, big int8, num numeric, flt float4, dbl float8, flag bool, label text,
  code varchar(10), ch char(3), uid uuid, doc json, docb jsonb, day date, clock time, ts timestamp(6),
  tsz timestamptz, "tszText" timestamptz, span interval, ip inet, tags text[], nums int4[])`;

/** The same values for every driver; only the id differs. */
function row(id: number): typeof things.$inferInsert {
  return {
    id,
    small: -7,
    big: 9007199254740993n,
    num: "12.340",
    flt: 1.5,
    dbl: -0.1,
    flag: true,
    label: "Grüße ✓",
    code: "",
    ch: "a",
    uid: "6f1c1f0e-1111-4c55-9d1a-8a1b2c3d4e5f",
    doc: { a: [1, "two", null] },
    docb: { nested: { ok: true } },
    day: "2024-02-29",
    clock: "23:59:59.999",
    ts: new Date("2001-02-03T04:05:06.789Z"),
    tsz: new Date("2030-12-31T23:59:59.123Z"),
    tszText: "2020-01-01 00:00:00+00",
    span: "1 day 02:03:04",
    ip: "::1",
    tags: ["x", "", "y z"],
    nums: [3, 2, 1],
  };
}

let server: NeonServer;
let db: FreshDatabase;
let direct: pg.Pool;
let wsPool: Pool;

beforeAll(async () => {
  db = await createFreshDatabase();
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  neonConfig.webSocketConstructor = ws;
  await db.direct.query(DDL);
  direct = new pg.Pool(db.pgConfig);
  wsPool = new Pool({ connectionString: db.connectionString });
  // pg-pool re-emits an error of a client it is still ending (a FORCE-dropped database terminates
  // it) on the pool: without a listener that is an uncaught exception.
  direct.on("error", () => {});
  wsPool.on("error", () => {});
});

afterAll(async () => {
  await wsPool?.end();
  await direct?.end();
  await server?.close();
  await db?.drop();
});

test("drizzle over neon-http, neon-serverless and node-postgres writes and reads identical rows", async () => {
  const viaPg = drizzlePg({ client: direct });
  const viaHttp = drizzleHttp({ client: neon(db.connectionString) });
  const viaWs = drizzleWs({ client: wsPool });
  await viaPg.insert(things).values(row(1));
  await viaHttp.insert(things).values(row(2));
  await viaWs.insert(things).values(row(3));

  const reference = await viaPg.select().from(things).orderBy(asc(things.id));
  expect(reference).toHaveLength(3);
  // Every driver wrote the same values: the rows differ only by id.
  const withoutId = reference.map(({ id: _id, ...rest }) => rest);
  expect(withoutId[1]).toEqual(withoutId[0]);
  expect(withoutId[2]).toEqual(withoutId[0]);
  expect(await viaHttp.select().from(things).orderBy(asc(things.id))).toEqual(reference);
  expect(await viaWs.select().from(things).orderBy(asc(things.id))).toEqual(reference);
  expect(reference[0]?.tsz).toEqual(new Date("2030-12-31T23:59:59.123Z"));
});

test("drizzle neon-http batches run atomically in one request", async () => {
  const viaHttp = drizzleHttp({ client: neon(db.connectionString) });
  await expect(
    viaHttp.batch([
      viaHttp.insert(things).values({ id: 100 }),
      viaHttp.insert(things).values({ id: 100 }),
    ]),
  ).rejects.toMatchObject({ code: "23505" });
  const [inserted, counted] = await viaHttp.batch([
    viaHttp.insert(things).values({ id: 101 }).returning({ id: things.id }),
    viaHttp.execute(dsql`SELECT count(*)::int AS n FROM things WHERE id >= 100`),
  ]);
  expect(inserted).toEqual([{ id: 101 }]);
  expect(counted.rows).toEqual([{ n: 1 }]);
});

test("drizzle neon-serverless transactions roll back a savepoint and commit the rest", async () => {
  const viaWs = drizzleWs({ client: wsPool });
  await viaWs.transaction(
    async (tx) => {
      await tx.insert(things).values({ id: 200 });
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(things).values({ id: 201 });
          inner.rollback();
        }),
      ).rejects.toThrow();
    },
    { isolationLevel: "serializable" },
  );
  const ids = await direct.query("SELECT id FROM things WHERE id >= 200 ORDER BY id");
  expect(ids.rows).toEqual([{ id: 200 }]);
});
