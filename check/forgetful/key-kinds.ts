/**
 * What a key of the run is, judged by its shape only (the core's key layout is free to change):
 * a fill lock ends with `:lock`, a revision marker with `:rev`, a group generation contains
 * `:group:`, the watermark ends with `:watermark`; anything else under the run's prefix is a value (an entry, a tombstone, a cached
 * miss, a rate-limit counter).
 */

/** The kinds of keys the nemesis tells apart. */
export const KEY_KINDS = ["value", "lock", "marker", "group", "watermark"] as const;

/** A kind of key. */
export type KeyKind = (typeof KEY_KINDS)[number];

/** The kind of `key` (see the module comment). */
export function keyKindOf(key: string): KeyKind {
  if (key.endsWith(":lock")) {
    return "lock";
  }
  if (key.endsWith(":rev")) {
    return "marker";
  }
  if (key.includes(":group:")) {
    return "group";
  }
  if (key.endsWith(":watermark")) {
    return "watermark";
  }
  return "value";
}

/** Counts per kind, all kinds present. */
export type KindCounts = Record<KeyKind, number>;

/** Zero for every kind. */
export function zeroKinds(): KindCounts {
  return { value: 0, lock: 0, marker: 0, group: 0, watermark: 0 };
}
