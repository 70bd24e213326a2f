/**
 * The Upstash REST server with a read region: a private Redis primary + replica pair (real
 * replication through the lag relay), and the real `@upstash/redis` client. Which backend answered
 * is shown by what it returns while the replica lags (the primary has the write, the replica not
 * yet) and by the server's routing counters.
 *
 * "The replica cannot have it yet" is only asserted when the read finished less than the lag after
 * the write started: the write's bytes are then still held by the relay (see `withinLag`).
 */
import { randomBytes } from "node:crypto";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ReplicaStats } from "../upstash-rest/replica-router";
import { RespClient } from "../upstash-rest/resp-client";
import { startUpstashRestServer, type UpstashRestServer } from "../upstash-rest/server";
import { closedPort } from "../upstash-rest/test-support";
import { type RedisPair, startRedisPair } from "./redis-pair";

const TOKEN = `read-region-${randomBytes(6).toString("hex")}`;
const SYNC = "upstash-sync-token";

let pair: RedisPair;
let server: UpstashRestServer;
let primary: RespClient;

beforeAll(async () => {
  pair = await startRedisPair();
  server = await startUpstashRestServer({
    redisUrl: pair.primaryUrl,
    replicaUrl: pair.replicaUrl,
    token: TOKEN,
    // Long enough that a token is always served by the replica in these tests, not a fallback.
    syncWaitMs: 10_000,
  });
  primary = new RespClient(pair.primaryUrl);
});

afterAll(async () => {
  await server?.close();
  await primary?.close();
  await pair?.close();
});

const freshKey = () => `rr:${randomBytes(6).toString("hex")}`;

function client(options: Partial<RedisConfigNodejs> = {}, target = server): Redis {
  return new Redis({ url: target.url, token: TOKEN, enableTelemetry: false, ...options });
}

/** Runs `body` and returns how the server's routing counters moved meanwhile. */
async function counted<T>(
  body: () => Promise<T>,
  target = server,
): Promise<{ value: T; moved: Partial<ReplicaStats> }> {
  const stats = target.replica?.stats;
  if (stats === undefined) {
    throw new Error("server without replica");
  }
  const before = { ...stats };
  const value = await body();
  const moved: Partial<ReplicaStats> = {};
  for (const name of Object.keys(before) as (keyof ReplicaStats)[]) {
    if (stats[name] !== before[name]) {
      moved[name] = stats[name] - before[name];
    }
  }
  return { value, moved };
}

/**
 * Writes a fresh key at the primary (value "v"), runs `read` and returns its result, provided the
 * read finished less than `lagMs` after the write began; otherwise it tries again with a new key
 * (a machine too loaded to finish within the lag).
 */
async function withinLag<T>(lagMs: number, read: (key: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const key = freshKey();
    const began = performance.now();
    await primary.send(["SET", key, "v"]);
    const value = await read(key);
    if (performance.now() - began < lagMs) {
      return value;
    }
  }
  throw new Error(`could not read within ${lagMs} ms of a write in 5 attempts`);
}

async function raw(body: unknown, headers: Record<string, string> = {}, path = "/") {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, token: res.headers.get(SYNC), body: (await res.json()) as unknown };
}

describe("read-region routing with a lagging replica (300 ms)", () => {
  test("a GET right after a SET misses on the replica when the client sends no sync token", async () => {
    pair.setLag(300);
    const reader = client({ readYourWrites: false });
    const { value, moved } = await counted(() => withinLag(300, (key) => reader.get(key)));
    expect(value).toBeNull();
    expect(moved).toMatchObject({ replica: 1 });
    expect(moved.primary).toBeUndefined();
  });

  test("with readYourWrites the same client's GET waits for the replica and sees its SET", async () => {
    pair.setLag(300);
    const redis = client();
    const key = freshKey();
    await redis.set(key, "mine");
    const began = performance.now();
    const { value, moved } = await counted(() => redis.get(key));
    expect(value).toBe("mine");
    expect(moved).toEqual({ replica: 1, waited: 1 });
    // It waited for replication (the write reached the replica about 300 ms after it was made).
    expect(performance.now() - began).toBeGreaterThan(150);
  });

  test("a sync token carried to a second client instance gives it read-your-writes too", async () => {
    pair.setLag(300);
    const writer = client();
    const key = freshKey();
    const began = performance.now();
    await writer.set(key, "carried");
    const carried = writer.readYourWritesSyncToken;
    expect(carried).toMatch(/^\d+$/);

    const stranger = client({ readYourWrites: false });
    const strangerSaw = await stranger.get(key);
    const strangerDone = performance.now() - began;

    const second = client();
    second.readYourWritesSyncToken = carried;
    const { value, moved } = await counted(() => second.get(key));
    expect(value).toBe("carried");
    expect(moved).toMatchObject({ replica: 1 });
    expect(moved.fellBack).toBeUndefined();
    if (strangerDone < 300) {
      expect(strangerSaw).toBeNull();
    }
    // The second client now holds a token at least as new as the one it was given.
    expect(Number(second.readYourWritesSyncToken)).toBeGreaterThanOrEqual(Number(carried));
  });

  test("a token the replica cannot reach within syncWaitMs is answered by the primary", async () => {
    const impatient = await startUpstashRestServer({
      redisUrl: pair.primaryUrl,
      replicaUrl: pair.replicaUrl,
      token: TOKEN,
      syncWaitMs: 100,
    });
    try {
      pair.setLag(3000);
      const redis = client({}, impatient);
      const key = freshKey();
      await redis.set(key, "fresh");
      const began = performance.now();
      const { value, moved } = await counted(() => redis.get(key), impatient);
      expect(value).toBe("fresh");
      expect(moved).toEqual({ primary: 1, waited: 1, fellBack: 1 });
      expect(performance.now() - began).toBeLessThan(1500);
    } finally {
      await impatient.close();
    }
  });
});

describe("an unreachable read region", () => {
  test("reads fall back to the primary instead of failing", async () => {
    const deadReplica = await startUpstashRestServer({
      redisUrl: pair.primaryUrl,
      replicaUrl: `redis://127.0.0.1:${await closedPort()}`,
      token: TOKEN,
    });
    try {
      pair.setLag(0);
      const redis = client({}, deadReplica);
      const key = freshKey();
      await redis.set(key, "kept");
      const began = performance.now();
      const { value, moved } = await counted(() => redis.get(key), deadReplica);
      expect(value).toBe("kept");
      expect(moved).toEqual({ primary: 1, waited: 1, fellBack: 1 });
      // Without waiting out syncWaitMs (1 s): an unreachable replica cannot catch up.
      expect(performance.now() - began).toBeLessThan(500);
      const { moved: untokened } = await counted(
        () => client({ readYourWrites: false }, deadReplica).get(key),
        deadReplica,
      );
      expect(untokened).toEqual({ primary: 1, fellBack: 1 });
    } finally {
      await deadReplica.close();
    }
  });
});

describe("what runs where (replica lagging 10 s)", () => {
  const LAG = 10_000;

  test("EVAL_RO and EVALSHA_RO are answered by the replica", async () => {
    pair.setLag(LAG);
    const redis = client({ readYourWrites: false });
    const script = "return redis.call('GET', KEYS[1])";
    const sha = await redis.scriptLoad(script);
    const { value, moved } = await counted(() =>
      withinLag(LAG, async (key) => [
        await redis.evalshaRo(sha, [key], []),
        await redis.evalRo(script, [key], []),
        await primary.send(["GET", key]),
      ]),
    );
    expect(value).toEqual([null, null, { kind: "bulk", value: Buffer.from("v") }]);
    // The replica did not know the script (Redis does not replicate SCRIPT LOAD): loaded once.
    expect(moved).toEqual({ replica: 2, scriptLoads: 1 });
  });

  test("a read-only script object (createScript readonly) runs at the replica", async () => {
    pair.setLag(LAG);
    const redis = client({ readYourWrites: false });
    const script = redis.createScript<string | null, true>(
      `return redis.call('GET', KEYS[1]) -- ${randomBytes(4).toString("hex")}`,
      { readonly: true },
    );
    const first = await withinLag(LAG, (key) => script.exec([key], []));
    const { value, moved } = await counted(() => withinLag(LAG, (key) => script.exec([key], [])));
    expect([first, value]).toEqual([null, null]);
    expect(moved).toEqual({ replica: 1 });
  });

  test("writes, write scripts, EVAL, transactions and pipelines with a write run at the primary", async () => {
    pair.setLag(LAG);
    const redis = client({ readYourWrites: false, enableAutoPipelining: false });
    const { value, moved } = await counted(() =>
      withinLag(LAG, async (key) => {
        const other = freshKey();
        return [
          await redis.eval("redis.call('SET', KEYS[1], ARGV[1]) return 1", [other], ["w"]),
          await redis.eval("return redis.call('GET', KEYS[1])", [key], []),
          await redis.multi().get(key).exec(),
          await redis.pipeline().set(other, "x").get(key).exec(),
          await redis.pipeline().get(key).exec(),
          await redis.get(key),
        ];
      }),
    );
    expect(value).toEqual([1, "v", ["v"], ["OK", "v"], [null], null]);
    expect(moved).toEqual({ primary: 4, replica: 2 });
  });

  test("the replica refuses a write script sent as EVAL_RO, as Redis does", async () => {
    pair.setLag(0);
    const redis = client({ readYourWrites: false });
    await expect(
      redis.evalRo("return redis.call('SET', KEYS[1], 'x')", [freshKey()], []),
    ).rejects.toThrow(/Write commands are not allowed from read-only scripts|READONLY/);
  });

  test("at lag 0 again the replica catches up and unbookmarked reads see the writes", async () => {
    pair.setLag(LAG);
    const key = freshKey();
    await primary.send(["SET", key, "late"]);
    pair.setLag(0);
    await pair.waitForCatchUp(2000);
    const { value, moved } = await counted(() => client({ readYourWrites: false }).get(key));
    expect(value).toBe("late");
    expect(moved).toEqual({ replica: 1 });
  });
});

describe("sync tokens on the wire", () => {
  test("every response carries a token; a write's token covers the write", async () => {
    pair.setLag(0);
    const before = await pair.offsets();
    const write = await raw(["set", freshKey(), "v"]);
    const after = await pair.offsets();
    expect(write.status).toBe(200);
    expect(Number(write.token)).toBeGreaterThan(before.primary);
    expect(Number(write.token)).toBeLessThanOrEqual(after.primary);

    const read = await raw(["get", freshKey()], { [SYNC]: write.token ?? "" });
    expect(read.status).toBe(200);
    expect(Number(read.token)).toBeGreaterThanOrEqual(Number(write.token));

    const notFound = await raw([], { [SYNC]: "42" }, "/nowhere");
    expect([notFound.status, notFound.token]).toEqual([404, "42"]);
  });

  test("a token the server cannot have issued is refused with 400 and runs nothing", async () => {
    const key = freshKey();
    const res = await raw(["set", key, "v"], { [SYNC]: "not-a-token" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: expect.stringContaining(SYNC) });
    expect(await primary.send(["EXISTS", key])).toEqual({ kind: "integer", value: 0 });
  });

  test("the route delay knob adds latency by where a request runs", async () => {
    pair.setLag(0);
    server.setRouteDelay({ primaryMs: 120, replicaMs: 0 });
    try {
      const redis = client({ readYourWrites: false, enableAutoPipelining: false });
      const key = freshKey();
      let began = performance.now();
      await redis.set(key, "v");
      const writeMs = performance.now() - began;
      began = performance.now();
      await redis.get(key);
      const readMs = performance.now() - began;
      expect(writeMs).toBeGreaterThanOrEqual(118);
      expect(readMs).toBeLessThan(100);
    } finally {
      server.setRouteDelay({ primaryMs: 0, replicaMs: 0 });
    }
    expect(() => server.setRouteDelay({ replicaMs: -1 })).toThrow(RangeError);
  });
});
