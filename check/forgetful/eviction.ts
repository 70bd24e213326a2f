/**
 * Real eviction pressure on the private Redis: `maxmemory` a little above what it uses when the
 * phase starts, an `allkeys-*` policy, and a filler writing unrelated keys (`filler:<n>`) faster
 * than the headroom lasts, so Redis evicts all the time, the run's keys among the rest. Evictions
 * are counted twice: `evicted_keys` of INFO (everything), and keyspace notifications of the
 * evicted keys (to tell the run's keys, by kind, from the filler's).
 */
import { Redis } from "ioredis";
import { type KindCounts, keyKindOf, zeroKinds } from "./key-kinds";
import type { PrivateRedis } from "./private-redis";

/** Eviction policies the profile uses. */
export type EvictionPolicy = "allkeys-lru" | "allkeys-random";

/** Sizing of the pressure. */
export type EvictionOptions = {
  /** `maxmemory` = used memory at the phase's start + this. @default 262144 (256 KiB) */
  headroomBytes?: number;
  /** Size of a filler value. @default 2048 */
  fillerValueBytes?: number;
  /** Filler keys written per tick (one pipeline). @default 20 */
  fillerKeysPerTick?: number;
  /** @default 20 */
  fillerTickMs?: number;
};

/** What one phase did. */
export type EvictionReport = {
  policy: EvictionPolicy;
  maxmemoryBytes: number;
  fillerKeys: number;
  /** INFO `evicted_keys` during the phase. */
  evictedKeys: number;
  /** Evicted keys of the run, by kind (from keyspace notifications). */
  evictedRunKeys: KindCounts;
  /** Commands the filler had refused (OOM: eviction could not keep up). */
  fillerErrors: number;
};

/** A running phase. */
export type EvictionPhase = { stop(): Promise<EvictionReport> };

/** Starts a phase of `policy` over the run's keys under `prefix`. */
export async function startEviction(
  redis: PrivateRedis,
  policy: EvictionPolicy,
  prefix: string,
  opts: EvictionOptions = {},
): Promise<EvictionPhase> {
  const valueBytes = opts.fillerValueBytes ?? 2048;
  const perTick = opts.fillerKeysPerTick ?? 20;
  const evictedRunKeys = zeroKinds();
  const watcher = await watchEvictions(redis.port, (key) => {
    if (key.startsWith(prefix)) {
      evictedRunKeys[keyKindOf(key)] += 1;
    }
  });
  const evictedAtStart = await redis.evictedKeys();
  const used = await usedMemory(redis);
  const maxmemoryBytes = used + (opts.headroomBytes ?? 256 * 1024);
  await redis.command("CONFIG", "SET", "maxmemory-policy", policy);
  await redis.command("CONFIG", "SET", "maxmemory", maxmemoryBytes);
  const value = "x".repeat(valueBytes);
  let fillerKeys = 0;
  let fillerErrors = 0;
  let stopped = false;
  const filler = (async () => {
    while (!stopped) {
      const batch = Array.from({ length: perTick }, () => ["SET", `filler:${fillerKeys++}`, value]);
      const replies = await redis.pipeline(batch).catch(() => []);
      fillerErrors += replies.filter((r) => r.kind === "error").length;
      await new Promise((r) => setTimeout(r, opts.fillerTickMs ?? 20));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await filler;
      await redis.command("CONFIG", "SET", "maxmemory", 0);
      await redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction");
      const evictedKeys = (await redis.evictedKeys()) - evictedAtStart;
      await watcher.close();
      return { policy, maxmemoryBytes, fillerKeys, evictedKeys, evictedRunKeys, fillerErrors };
    },
  };
}

async function usedMemory(redis: PrivateRedis): Promise<number> {
  const reply = await redis.command("INFO", "memory");
  const text = reply.kind === "bulk" ? reply.value.toString("utf8") : "";
  return Number(/^used_memory:(\d+)/m.exec(text)?.[1] ?? 0);
}

/** Subscribes to evicted-key notifications of database 0; `onEvicted` gets each key. */
async function watchEvictions(
  port: number,
  onEvicted: (key: string) => void,
): Promise<{ close(): Promise<void> }> {
  const channel = "__keyevent@0__:evicted";
  const config = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  await config.connect();
  // E: keyevent channels, e: evicted events.
  await config.config("SET", "notify-keyspace-events", "Ee");
  const subscriber = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
  await subscriber.connect();
  subscriber.on("message", (ch: string, key: string) => {
    if (ch === channel) {
      onEvicted(key);
    }
  });
  await subscriber.subscribe(channel);
  return {
    async close() {
      await config.config("SET", "notify-keyspace-events", "").catch(() => undefined);
      // Notifications still in flight arrive before the unsubscribe's reply.
      await subscriber.unsubscribe(channel).catch(() => undefined);
      subscriber.disconnect();
      config.disconnect();
    },
  };
}
