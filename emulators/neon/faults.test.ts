import { Client, NeonDbError, neon, neonConfig } from "@neondatabase/serverless";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import ws from "ws";
import { CONTROL_PATH } from "../shared/faults";
import { pointNeonAtLocal } from "./neon-config";
import { type NeonServer, startNeonServer } from "./server";
import { createFreshDatabase, type FreshDatabase } from "./test-support";

let server: NeonServer;
let db: FreshDatabase;
let sql: ReturnType<typeof neon>;
let nextId = 1;

beforeAll(async () => {
  db = await createFreshDatabase();
  server = await startNeonServer();
  pointNeonAtLocal(server.hostPort);
  neonConfig.webSocketConstructor = ws;
  sql = neon(db.connectionString);
  await db.direct.query("CREATE TABLE marks (id int PRIMARY KEY)");
});

afterEach(() => {
  server.faults.reset();
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err: unknown) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

async function committed(id: number): Promise<boolean> {
  const res = await db.direct.query("SELECT 1 FROM marks WHERE id = $1", [id]);
  return res.rowCount === 1;
}

/** How often `mode` was applied since the test started (the counters are cumulative). */
function appliedSince(mode: keyof NeonServer["faults"]["applied"]): () => number {
  const before = server.faults.applied[mode];
  return () => server.faults.applied[mode] - before;
}

/** Neon query promises are lazy: nothing is sent until `then` is called. */
function send<T>(query: PromiseLike<T>): Promise<T> {
  return Promise.resolve(query);
}

/** Resolves with "pending" if `promise` has not settled once the current I/O turn is over. */
async function state(promise: Promise<unknown>): Promise<"pending" | "settled"> {
  const marker = new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")));
  return Promise.race([promise.then(() => "settled" as const), marker]);
}

describe("fault knobs on /sql", () => {
  test("latency delays every request by at least latencyMs", async () => {
    server.faults.set({ latencyMs: 120 });
    const started = performance.now();
    await sql`SELECT 1`;
    expect(performance.now() - started).toBeGreaterThanOrEqual(120);
  });

  test("refuse drops the connection, which the driver reports as a connection error", async () => {
    server.faults.set({ mode: "refuse" });
    const id = nextId++;
    const err = await rejection(sql`INSERT INTO marks VALUES (${id})`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.message).toMatch(/^Error connecting to database/);
    expect(await committed(id)).toBe(false);
  });

  test("hang holds the request until the fault is switched off, then serves it", async () => {
    const hung = appliedSince("hang");
    server.faults.set({ mode: "hang" });
    const query = send(sql`SELECT 7 AS n`);
    await vi.waitFor(() => expect(hung()).toBe(1));
    expect(await state(query)).toBe("pending");
    server.faults.set({ mode: "none" });
    await expect(query).resolves.toEqual([{ n: 7 }]);
  });

  test("a hung request can be aborted through fetchOptions.signal and is then never run", async () => {
    const hung = appliedSince("hang");
    server.faults.set({ mode: "hang" });
    const abort = new AbortController();
    const id = nextId++;
    const query = send(
      sql.query("INSERT INTO marks VALUES ($1)", [id], { fetchOptions: { signal: abort.signal } }),
    );
    await vi.waitFor(() => expect(server.faults.held).toBe(1));
    abort.abort();
    expect((await rejection(query)).message).toMatch(/^Error connecting to database/);
    // The server notices the disconnect and stops holding the request...
    await vi.waitFor(() => expect(server.faults.held).toBe(0));
    server.faults.set({ mode: "none" });
    // ...so switching the fault off later does not run it.
    await sql`SELECT 1`;
    expect(hung()).toBe(1);
    expect(await committed(id)).toBe(false);
  });

  test("http500 answers a generic server error without running anything", async () => {
    server.faults.set({ mode: "http500" });
    const id = nextId++;
    const err = await rejection(sql`INSERT INTO marks VALUES (${id})`);
    expect(err.message).toMatch(/^Server error \(HTTP status 500\)/);
    expect(await committed(id)).toBe(false);
  });

  test("error answers a database error with the configured message without running anything", async () => {
    server.faults.set({ mode: "error", errorMessage: "injected: disk on fire" });
    const id = nextId++;
    const err = await rejection(sql`INSERT INTO marks VALUES (${id})`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.message).toBe("injected: disk on fire");
    expect(await committed(id)).toBe(false);
  });

  test("lost-response commits the write but the client only sees a dropped connection", async () => {
    server.faults.set({ mode: "lost-response" });
    const id = nextId++;
    const err = await rejection(sql`INSERT INTO marks VALUES (${id})`);
    expect(err.message).toMatch(/^Error connecting to database/);
    expect(await committed(id)).toBe(true);
  });

  test("match limits the fault to SQL containing one of the substrings", async () => {
    const errored = appliedSince("error");
    server.faults.set({ mode: "error", match: ["FROM marks"] });
    await expect(sql`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }]);
    await expect(sql`SELECT count(*) FROM marks`).rejects.toThrow("ERR injected fault");
    // A batch fails when any of its queries matches.
    await expect(sql.transaction([sql`SELECT 1`, sql`SELECT id FROM marks`])).rejects.toThrow(
      "ERR injected fault",
    );
    expect(errored()).toBe(2);
  });

  test("the control endpoint switches faults over HTTP and reports what was applied", async () => {
    const control = `${server.url}${CONTROL_PATH}`;
    const before = server.faults.applied.http500;
    const set = await fetch(control, { method: "POST", body: JSON.stringify({ mode: "http500" }) });
    expect(set.status).toBe(200);
    await expect(sql`SELECT 1`).rejects.toThrow(/HTTP status 500/);
    const read = (await (await fetch(control)).json()) as {
      settings: { mode: string };
      applied: { http500: number };
    };
    expect(read.settings.mode).toBe("http500");
    expect(read.applied.http500).toBe(before + 1);
    expect((await fetch(control, { method: "DELETE" })).status).toBe(200);
    await expect(sql`SELECT 1 AS ok`).resolves.toEqual([{ ok: 1 }]);
  });
});

describe("fault knobs on the WebSocket relay", () => {
  test("refuse drops the upgrade so Client.connect fails", async () => {
    const refused = appliedSince("refuse");
    server.faults.set({ mode: "refuse" });
    const client = new Client(db.connectionString);
    client.on("error", () => {});
    await expect(client.connect()).rejects.toThrow();
    expect(refused()).toBe(1);
  });

  test("latency delays the connect, and a SQL-matched fault leaves the relay alone", async () => {
    server.faults.set({ latencyMs: 100, mode: "refuse", match: ["anything"] });
    const client = new Client(db.connectionString);
    const started = performance.now();
    await client.connect();
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    await expect(client.query("SELECT 2 AS two")).resolves.toMatchObject({ rows: [{ two: 2 }] });
    await client.end();
  });
});
