import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { SESSION_SETTINGS_SQL } from "./pool-registry";
import { type NeonServer, startNeonServer } from "./server";
import { createFreshDatabase, type FreshDatabase } from "./test-support";
import { buildTypeQuery } from "./type-cases";

const RAW_TEXT = { getTypeParser: () => (value: string) => value };

let server: NeonServer;
let db: FreshDatabase;
let mf: Miniflare | undefined;

async function bundleFixture(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./workerd-fixture.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    write: false,
    // nodejs_compat provides these inside workerd.
    external: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) {
    throw new Error("esbuild produced no output");
  }
  return output.text;
}

beforeAll(async () => {
  [db, server] = await Promise.all([createFreshDatabase(), startNeonServer()]);
  mf = new Miniflare({
    modules: true,
    script: await bundleFixture(),
    compatibilityDate: "2026-07-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: { NEON_HOST_PORT: server.hostPort, DATABASE_URL: db.connectionString },
  });
}, 30_000);

afterAll(async () => {
  await mf?.dispose();
  await server?.close();
  await db?.drop();
});

type FixtureAnswer = {
  http: { rows: unknown[][]; types: number[] };
  ws: { rows: unknown[][]; types: number[] };
  drizzleWs: unknown[];
  drizzleHttp: unknown[];
};

test("inside workerd, neon() over HTTP and Client/drizzle over the relay return Postgres' exact text", async () => {
  if (!mf) {
    throw new Error("Miniflare did not start");
  }
  const res = await mf.dispatchFetch("http://fixture.local/");
  const body = await res.text();
  expect(res.status, body).toBe(200);
  const answer = JSON.parse(body) as FixtureAnswer;

  const query = buildTypeQuery();
  const settled = new pg.Client(db.pgConfig);
  await settled.connect();
  try {
    await settled.query(SESSION_SETTINGS_SQL);
    const config = {
      text: query.text,
      values: query.params,
      rowMode: "array" as const,
      types: RAW_TEXT,
    };
    const viaSettled = await settled.query(config);
    expect(answer.http.rows).toEqual(viaSettled.rows);
    expect(answer.http.types).toEqual(viaSettled.fields.map((f) => f.dataTypeID));
    // The relay session keeps the server defaults, like a direct connection.
    const viaDirect = await db.direct.query(config);
    expect(answer.ws.rows).toEqual(viaDirect.rows);
    expect(new Set(answer.ws.types).size).toBeGreaterThanOrEqual(25);
  } finally {
    await settled.end();
  }
  expect(answer.drizzleWs).toEqual([{ label: "ws ✓", nums: [1, 2] }]);
  expect(answer.drizzleHttp).toEqual([{ label: "http ✓", nums: [3] }]);
}, 30_000);
