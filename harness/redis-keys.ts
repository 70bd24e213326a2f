/**
 * Cleaning up after a run on the shared Redis: its keys carry a prefix of their own, and SCAN +
 * UNLINK under that prefix removes them without touching anyone else's. Straight to Redis (ioredis),
 * so it works whatever fault knobs the Upstash REST server has set and adds none of its latency.
 */
import { Redis } from "ioredis";

/** Deletes every key of the Redis at `redisUrl` that starts with `prefix`; returns how many. */
export async function deleteKeysByPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (prefix === "") {
    throw new TypeError("refusing to delete every key: the prefix is empty");
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const match = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let cursor = "0";
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) {
        deleted += await redis.unlink(...keys);
      }
    } while (cursor !== "0");
    return deleted;
  } finally {
    redis.disconnect();
  }
}
