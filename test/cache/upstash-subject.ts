/**
 * Real Redis through the Upstash REST emulator, as the cache core's tests need it: the production
 * client (configured with `upstashClientOptions`) plus raw key access, under a prefix unique to this run.
 */

import { Redis } from "@upstash/redis";
import type { ScriptsSubject } from "lease-cache/testing";
import { upstashClientOptions, upstashPort } from "lease-cache/upstash";
import {
  startUpstashRestServer,
  type UpstashRestServer,
} from "../../emulators/upstash-rest/server";
import { redisUrlFromEnv } from "../../harness/env";
import { deleteKeysByPrefix } from "../../harness/redis-keys";

/** A started emulator with helpers; call `close()` when done. */
export type UpstashSubject = ScriptsSubject & {
  server: UpstashRestServer;
  raw: Redis;
  close(): Promise<void>;
};

/** Starts an emulator over `REDIS_URL` (default the local Redis) with a random key prefix. */
export async function startUpstashSubject(timeoutMs = 2_000): Promise<UpstashSubject> {
  const redisUrl = redisUrlFromEnv();
  const server = await startUpstashRestServer({
    redisUrl,
    token: `test-${crypto.randomUUID()}`,
  });
  const raw = new Redis({
    url: server.url,
    token: server.token,
    ...upstashClientOptions({ timeoutMs }),
  });
  const prefix = `test-cache-${crypto.randomUUID().slice(0, 8)}`;
  return {
    server,
    raw,
    prefix,
    port: upstashPort(raw),
    getRaw: async (key) => {
      const value = await raw.get<string>(key);
      return value ?? null;
    },
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
    async close() {
      await deleteKeysByPrefix(redisUrl, prefix);
      await server.close();
    },
  };
}
