import { describe, expect, it } from "vitest";
import { defaultCacheConfig, resolveConfig } from "./config.js";

describe("cache configuration", () => {
  it("fills in every default and keeps overrides", () => {
    expect(resolveConfig()).toEqual(defaultCacheConfig);
    expect(resolveConfig({ ttlSeconds: 10, staleSeconds: 0 })).toEqual({
      ...defaultCacheConfig,
      ttlSeconds: 10,
      staleSeconds: 0,
    });
  });

  it("refuses nonsense with a message naming the field", () => {
    expect(() => resolveConfig({ ttlSeconds: 0 })).toThrow(/ttlSeconds must be a whole number ≥ 1/);
    expect(() => resolveConfig({ lockTtlSeconds: 1.5 })).toThrow(/lockTtlSeconds/);
    expect(() => resolveConfig({ staleSeconds: -1 })).toThrow(
      /staleSeconds must be a whole number ≥ 0/,
    );
    expect(() => resolveConfig({ maxRedisCallsPerGet: 1 })).toThrow(/maxRedisCallsPerGet/);
  });
});
