import { MemoryRedis } from "./testing/memory-redis.js";
import { registerScriptsContract } from "./testing/scripts-contract.js";

registerScriptsContract("the in-memory stand-in", () => {
  const redis = new MemoryRedis();
  return {
    port: redis,
    prefix: "mem",
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
  };
});
