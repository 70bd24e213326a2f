/**
 * Response headers derived from the cache core's outcome report and from product versions:
 * `X-Cache`, `Server-Timing`, `ETag`, `Cache-Control`, and the conditional-request headers.
 *
 * @module
 */
import type { Context } from "hono";
import type { CacheOutcome, CacheStatus } from "lease-cache";
import type { VersionCondition } from "../db/models";

/** The `X-Cache` values of the contract. */
export type XCache = "HIT" | "MISS" | "STALE" | "BYPASS";

const X_CACHE: Record<Exclude<CacheStatus, "coalesced">, XCache> = {
  hit: "HIT",
  // A waiter was answered from the entry another request filled: served from Redis.
  waited: "HIT",
  miss: "MISS",
  stale: "STALE",
  bypass: "BYPASS",
};

/** `X-Cache` for an outcome; a coalesced request reports what the request it shared did. */
export function xCacheOf(outcome: CacheOutcome): XCache {
  const status = outcome.status === "coalesced" ? (outcome.sharedStatus ?? "miss") : outcome.status;
  return X_CACHE[status];
}

/** `Server-Timing` entries: `cache;dur=…` always, `db;dur=…` when Postgres was queried. */
export function serverTiming(timings: { cacheMs: number; dbMs?: number }): string {
  const parts = [`cache;dur=${round(timings.cacheMs)}`];
  if (timings.dbMs !== undefined) {
    parts.push(`db;dur=${round(timings.dbMs)}`);
  }
  return parts.join(", ");
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Sets `X-Cache`, `Server-Timing` and `Cache-Control: no-cache` for a read through the cache. */
export function setCachedReadHeaders(c: Context, outcome: CacheOutcome): void {
  c.header("X-Cache", xCacheOf(outcome));
  c.header("Server-Timing", serverTiming({ cacheMs: outcome.cacheMs, dbMs: outcome.loadMs }));
  c.header("Cache-Control", "no-cache");
}

/** The strong ETag of a product version: `"3"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * `true` when `If-None-Match` matches `version` (weak comparison, as RFC 9110 requires for it):
 * `*`, or a listed ETag equal to `"<version>"` with or without `W/`.
 */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) {
    return false;
  }
  if (header.trim() === "*") {
    return true;
  }
  const wanted = etagOf(version);
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === wanted);
}

/**
 * Parses `If-Match` (strong comparison): `undefined` when absent, `"any"` for `*`, otherwise the
 * versions of the listed strong ETags. Weak or foreign ETags never match, so `If-Match: W/"3"` or
 * `"v41"` yields an empty list (a `412` for an existing product).
 */
export function parseIfMatch(header: string | undefined): VersionCondition | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (header.trim() === "*") {
    return "any";
  }
  const versions: number[] = [];
  for (const tag of header.split(",")) {
    const match = /^"([1-9][0-9]{0,9})"$/.exec(tag.trim());
    const version = match?.[1] === undefined ? Number.NaN : Number(match[1]);
    // Versions are Postgres integers; anything larger can never match and would not bind.
    if (Number.isSafeInteger(version) && version <= 2_147_483_647) {
      versions.push(version);
    }
  }
  return versions;
}
