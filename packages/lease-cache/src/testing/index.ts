/**
 * `lease-cache/testing`: what tests of the cache and of code that uses it need.
 * - {@link MemoryRedis}: an in-memory {@link RedisPort} with a controllable clock and fault switches;
 * - {@link isolate}: a cache over it with controlled time, tokens and background work;
 * - {@link registerScriptsContract}: the behaviour every port must show against real Redis (a
 *   Vitest suite; run it for your own adapter);
 * - {@link cacheScripts}: the Lua scripts with their pinned SHA-1s (to preload or to verify).
 *
 * Imports `vitest`; never import this entry from production code.
 *
 * @module
 */
import type { RedisPort } from "../redis-port.js";
import { ALL_SCRIPTS, type LuaScript } from "../scripts.js";

export { countingPort } from "./counting-port.js";
export {
  Background,
  countingLoader,
  type IsolateOptions,
  isolate,
  latch,
  type TestIsolate,
} from "./harness.js";
export { MemoryRedis, type MemoryRedisFault } from "./memory-redis.js";
export { registerScriptsContract, type ScriptsSubject } from "./scripts-contract.js";
export type { LuaScript, RedisPort };

/** Every script the cache runs, with its pinned SHA-1. */
export const cacheScripts: readonly LuaScript[] = ALL_SCRIPTS;
