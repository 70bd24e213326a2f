/**
 * One subject per Redis adapter for the contract suites: the adapter's port over its real client,
 * raw key access through that same client, a key prefix unique to the subject, a port of the same
 * adapter over a Redis that cannot be reached, and a cleanup that deletes the prefix's keys and
 * closes the clients.
 *
 * - `upstashPort`: `@upstash/redis` through this run's Upstash REST server (`inject("stack")`);
 * - `ioredisPort`: ioredis over TCP to `REDIS_URL`;
 * - `nodeRedisPort`: node-redis over TCP to `REDIS_URL`;
 * - `MemoryRedis`: the in-memory stand-in of `lease-cache/testing`.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis as UpstashRedis } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import type { RedisPort } from "lease-cache";
import { ioredisPort } from "lease-cache/ioredis";
import { nodeRedisPort } from "lease-cache/node-redis";
import { MemoryRedis, type ScriptsSubject } from "lease-cache/testing";
import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
import { createClient } from "redis";
import { inject } from "vitest";

/** A started subject; `close()` deletes its keys and closes its clients. */
export type AdapterSubject = ScriptsSubject & {
  /** A port of the same adapter over a Redis nothing listens on. */
  unreachable(): Promise<RedisPort>;
  close(): Promise<void>;
};

/** Names a subject and starts it (in `beforeAll`). */
export type SubjectFactory = { name: string; start(): Promise<AdapterSubject> };

/**
 * Per-call timeout of the contract's clients and caches, in ms. Generous on purpose: the contract
 * is about behaviour, and a loaded machine must not turn a slow reply into a bypass.
 */
export const CONTRACT_TIMEOUT_MS = 2_000;

const redisUrl = () => process.env.REDIS_URL || "redis://127.0.0.1:6379";

const newPrefix = (adapter: string) => `test:port:${adapter}:${randomBytes(4).toString("hex")}`;

/** A loopback port that was free a moment ago and has nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error("no TCP address");
  }
  return address.port;
}

/** `@upstash/redis` (configured as the cache needs it) through the run's Upstash REST server. */
export const upstashSubject: SubjectFactory = {
  name: "upstashPort (@upstash/redis through the Upstash REST server)",
  async start() {
    const { upstashUrl, upstashToken } = inject("stack");
    const options = upstashClientOptions({ timeoutMs: CONTRACT_TIMEOUT_MS });
    const raw = new UpstashRedis({ url: upstashUrl, token: upstashToken, ...options });
    const prefix = newPrefix("upstash");
    return {
      prefix,
      port: upstashPort(raw),
      getRaw: async (key) => (await raw.get<string>(key)) ?? null,
      setRaw: async (key, value, ttlMs) => {
        await (ttlMs === undefined ? raw.set(key, value) : raw.set(key, value, { px: ttlMs }));
      },
      deleteRaw: async (key) => {
        await raw.del(key);
      },
      pttl: (key) => raw.pttl(key),
      setPttl: async (key, ms) => {
        await raw.pexpire(key, ms);
      },
      async unreachable() {
        const url = `http://127.0.0.1:${await closedPort()}`;
        return upstashPort(new UpstashRedis({ url, token: "unused", ...options }));
      },
      async close() {
        let cursor = "0";
        do {
          const [next, keys] = await raw.scan(cursor, { match: `${prefix}:*`, count: 500 });
          cursor = String(next);
          if (keys.length > 0) {
            await raw.del(...keys);
          }
        } while (cursor !== "0");
      },
    };
  },
};

/** ioredis over TCP. */
export const ioredisSubject: SubjectFactory = {
  name: "ioredisPort (ioredis over TCP)",
  async start() {
    const raw = new IoRedis(redisUrl(), { commandTimeout: CONTRACT_TIMEOUT_MS });
    const prefix = newPrefix("ioredis");
    const broken: IoRedis[] = [];
    return {
      prefix,
      port: ioredisPort(raw),
      getRaw: (key) => raw.get(key),
      setRaw: async (key, value, ttlMs) => {
        await (ttlMs === undefined ? raw.set(key, value) : raw.set(key, value, "PX", ttlMs));
      },
      deleteRaw: async (key) => {
        await raw.del(key);
      },
      pttl: (key) => raw.pttl(key),
      setPttl: async (key, ms) => {
        await raw.pexpire(key, ms);
      },
      async unreachable() {
        // No offline queue and no reconnects: a command fails at once instead of waiting for a
        // connection that never comes.
        const client = new IoRedis({
          host: "127.0.0.1",
          port: await closedPort(),
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on("error", () => {});
        broken.push(client);
        return ioredisPort(client);
      },
      async close() {
        let cursor = "0";
        do {
          const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
          cursor = next;
          if (keys.length > 0) {
            await raw.del(...keys);
          }
        } while (cursor !== "0");
        await raw.quit();
        for (const client of broken) {
          client.disconnect();
        }
      },
    };
  },
};

/** node-redis over TCP. */
export const nodeRedisSubject: SubjectFactory = {
  name: "nodeRedisPort (node-redis over TCP)",
  async start() {
    const raw = await createClient({ url: redisUrl() }).connect();
    const prefix = newPrefix("node-redis");
    return {
      prefix,
      port: nodeRedisPort(raw),
      getRaw: async (key) => {
        const value = await raw.get(key);
        return typeof value === "string" ? value : null;
      },
      setRaw: async (key, value, ttlMs) => {
        await raw.set(key, value, ttlMs === undefined ? {} : { PX: ttlMs });
      },
      deleteRaw: async (key) => {
        await raw.del(key);
      },
      pttl: async (key) => Number(await raw.pTTL(key)),
      setPttl: async (key, ms) => {
        await raw.pExpire(key, ms);
      },
      async unreachable() {
        // Never connected: node-redis rejects every command of a client that is not open.
        const client = createClient({
          url: `redis://127.0.0.1:${await closedPort()}`,
          socket: { reconnectStrategy: false },
        });
        client.on("error", () => {});
        return nodeRedisPort(client);
      },
      async close() {
        let cursor = "0";
        do {
          const reply = await raw.scan(cursor, { MATCH: `${prefix}:*`, COUNT: 500 });
          cursor = String(reply.cursor);
          if (reply.keys.length > 0) {
            await raw.del(reply.keys);
          }
        } while (cursor !== "0");
        raw.destroy();
      },
    };
  },
};

/** The in-memory stand-in (its clock stands still, which the contract allows for). */
export const memorySubject: SubjectFactory = {
  name: "MemoryRedis (the in-memory stand-in)",
  async start() {
    const redis = new MemoryRedis();
    return {
      prefix: newPrefix("memory"),
      port: redis,
      getRaw: async (key) => redis.get(key) ?? null,
      setRaw: async (key, value, ttlMs) => redis.set(key, value, ttlMs),
      deleteRaw: async (key) => redis.delete(key),
      pttl: async (key) => redis.pttl(key),
      setPttl: async (key, ms) => {
        const value = redis.get(key);
        if (value !== undefined) {
          redis.set(key, value, ms);
        }
      },
      async unreachable() {
        const down = new MemoryRedis();
        down.fault = "error";
        return down;
      },
      async close() {},
    };
  },
};

/** The adapters over real Redis. */
export const REAL_SUBJECTS: readonly SubjectFactory[] = [
  upstashSubject,
  ioredisSubject,
  nodeRedisSubject,
];

/** Every subject the contracts run against. */
export const ALL_SUBJECTS: readonly SubjectFactory[] = [...REAL_SUBJECTS, memorySubject];
