/**
 * `lease-cache/testing`: what tests of the cache and of code that uses it need.
 * - {@link MemoryRedis}: an in-memory {@link RedisPort} with a controllable clock and fault switches;
 * - {@link isolate}: a cache over it with controlled time, tokens and background work;
 * - {@link registerScriptsContract}: the behaviour every port must show against real Redis (a
 *   Vitest suite; run it for your own adapter);
 * - {@link cacheScripts}: the Lua scripts with their pinned SHA-1s (to preload or to verify);
 * - {@link describeEntry}: what the cache stored under a key.
 *
 * Imports `vitest`; never import this entry from production code.
 *
 * @module
 */
import { decodeEntry, parseEnvelope } from "../envelope.js";
import type { RedisPort } from "../redis-port.js";
import { ALL_SCRIPTS, type LuaScript } from "../scripts.js";

export { countingPort } from "./counting-port.js";
export {
  Background,
  countingLoader,
  type IsolateOptions,
  isolate,
  latch,
  type TestClock,
  type TestIsolate,
} from "./harness.js";
export { MemoryRedis, type MemoryRedisFault, type MemorySnapshot } from "./memory-redis.js";
export { registerScriptsContract, type ScriptsSubject } from "./scripts-contract.js";
export type { LuaScript, RedisPort };

/** Every script the cache runs, with its pinned SHA-1. */
export const cacheScripts: readonly LuaScript[] = ALL_SCRIPTS;

/** What a stored string is, for tests that look into Redis. */
export type StoredEntry =
  | { kind: "value"; value: unknown; rev: number | undefined }
  | { kind: "absent"; rev: number | undefined }
  | { kind: "tombstone"; rev: number | undefined }
  | { kind: "foreign" };

/** Decodes what the cache stored under a key (`raw` as `GET` returns it). */
export function describeEntry(raw: string): StoredEntry {
  const header = parseEnvelope(raw);
  if (header?.kind === "t") {
    return { kind: "tombstone", rev: header.rev };
  }
  const entry = decodeEntry(raw);
  if (entry === undefined) {
    return { kind: "foreign" };
  }
  return entry.loaded.found
    ? { kind: "value", value: entry.loaded.value, rev: entry.rev }
    : { kind: "absent", rev: entry.rev };
}
