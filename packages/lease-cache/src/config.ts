import type { CacheConfig } from "./types.js";

/**
 * The defaults of every {@link CacheConfig} field: the one place they are spelled. An app that
 * reads settings from its environment takes its fallbacks from here too.
 */
export const defaultCacheConfig: Readonly<CacheConfig> = Object.freeze({
  ttlSeconds: 300,
  staleSeconds: 60,
  negativeTtlSeconds: 30,
  lockTtlSeconds: 5,
  redisTimeoutMs: 150,
  maxRedisCallsPerGet: 10,
  revisionTtlSeconds: 86_400,
});

/** Fields that may be 0 (everything else must be a positive integer). */
const MAY_BE_ZERO: ReadonlySet<keyof CacheConfig> = new Set(["staleSeconds"]);

/**
 * The defaults with `overrides` applied. Throws a `RangeError` naming the field when a value is
 * not a whole number, or is below 1 (below 0 for `staleSeconds`), or when `maxRedisCallsPerGet`
 * leaves no room for a read and a fill (below 2).
 */
export function resolveConfig(overrides: Partial<CacheConfig> = {}): CacheConfig {
  const config: CacheConfig = { ...defaultCacheConfig };
  for (const [name, value] of Object.entries(overrides) as [keyof CacheConfig, unknown][]) {
    if (value === undefined) {
      continue;
    }
    const min = MAY_BE_ZERO.has(name) ? 0 : name === "maxRedisCallsPerGet" ? 2 : 1;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`lease-cache: ${name} must be a whole number ≥ ${min}`);
    }
    config[name] = value;
  }
  return config;
}
