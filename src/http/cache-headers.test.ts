import { describe, expect, it } from "vitest";
import { ifNoneMatchHits, parseIfMatch, serverTiming, xCacheOf } from "./cache-headers";

describe("xCacheOf", () => {
  it("maps each cache status to the contract's X-Cache value", () => {
    const of = (status: Parameters<typeof xCacheOf>[0]["status"]) =>
      xCacheOf({ status, redisCalls: 1, cacheMs: 0 });
    expect([of("hit"), of("waited"), of("miss"), of("stale"), of("bypass")]).toEqual([
      "HIT",
      "HIT",
      "MISS",
      "STALE",
      "BYPASS",
    ]);
  });

  it("reports a coalesced request as what the request it shared did", () => {
    expect(
      xCacheOf({ status: "coalesced", sharedStatus: "bypass", redisCalls: 0, cacheMs: 0 }),
    ).toBe("BYPASS");
    expect(
      xCacheOf({ status: "coalesced", sharedStatus: "waited", redisCalls: 0, cacheMs: 0 }),
    ).toBe("HIT");
  });
});

describe("serverTiming", () => {
  it("names db only when Postgres was queried", () => {
    expect(serverTiming({ cacheMs: 1.234 })).toBe("cache;dur=1.2");
    expect(serverTiming({ cacheMs: 0, dbMs: 12 })).toBe("cache;dur=0, db;dur=12");
  });
});

describe("parseIfMatch", () => {
  it("is undefined without the header and 'any' for *", () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch(" * ")).toBe("any");
  });

  it("keeps strong numeric ETags only, so weak and foreign tags never match", () => {
    expect(parseIfMatch('"3"')).toEqual([3]);
    expect(parseIfMatch('"3", W/"4", "v41", "5"')).toEqual([3, 5]);
    expect(parseIfMatch('W/"3"')).toEqual([]);
    expect(parseIfMatch('"0"')).toEqual([]);
    expect(parseIfMatch('"99999999999"')).toEqual([]);
  });
});

describe("ifNoneMatchHits", () => {
  it("compares weakly and accepts lists and *", () => {
    expect(ifNoneMatchHits('"3"', 3)).toBe(true);
    expect(ifNoneMatchHits('W/"3"', 3)).toBe(true);
    expect(ifNoneMatchHits('"1", "3"', 3)).toBe(true);
    expect(ifNoneMatchHits("*", 3)).toBe(true);
    expect(ifNoneMatchHits('"2"', 3)).toBe(false);
    expect(ifNoneMatchHits("3", 3)).toBe(false);
    expect(ifNoneMatchHits(undefined, 3)).toBe(false);
  });
});
