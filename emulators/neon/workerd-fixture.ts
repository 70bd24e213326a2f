/**
 * A Worker used by `workerd.test.ts`: runs the differential type query through the real driver
 * inside workerd, over HTTP (`neon()`) and over the WebSocket relay (`Client`, drizzle
 * `neon-serverless`), and answers the raw text rows as JSON.
 */
import { Client, neon } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import { pointNeonAtLocal } from "./neon-config";
import { buildTypeQuery } from "./type-cases";

/** Bindings the test passes in. */
export type FixtureEnv = { NEON_HOST_PORT: string; DATABASE_URL: string };

const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/** The fixture Worker: `GET /` answers `{ http, ws, drizzleWs, drizzleHttp }`. */
export default {
  async fetch(_request: Request, env: FixtureEnv): Promise<Response> {
    pointNeonAtLocal(env.NEON_HOST_PORT);
    const query = buildTypeQuery();
    const http = await neon(env.DATABASE_URL, { fullResults: true, arrayMode: true }).query(
      query.text,
      query.params,
      { types: RAW_TEXT },
    );
    const client = new Client(env.DATABASE_URL);
    await client.connect();
    try {
      const ws = await client.query({
        text: query.text,
        values: query.params,
        rowMode: "array",
        types: RAW_TEXT,
      });
      const viaDrizzleWs = await drizzleWs({ client }).execute(
        sql`SELECT ${"ws ✓"}::text AS label, ${"{1,2}"}::int[] AS nums`,
      );
      const viaDrizzleHttp = await drizzleHttp({ client: neon(env.DATABASE_URL) }).execute(
        sql`SELECT ${"http ✓"}::text AS label, ${"{3}"}::int[] AS nums`,
      );
      return Response.json({
        http: { rows: http.rows, types: http.fields.map((f) => f.dataTypeID) },
        ws: { rows: ws.rows, types: ws.fields.map((f) => f.dataTypeID) },
        drizzleWs: viaDrizzleWs.rows,
        drizzleHttp: viaDrizzleHttp.rows,
      });
    } finally {
      await client.end();
    }
  },
};
