/**
 * The one place cache keys are spelled. Keys are `<prefix>:<namespace>:<part>…`; a fill lock is the
 * value key plus {@link LOCK_SUFFIX}, its revision marker the value key plus {@link REVISION_SUFFIX}; a group's generation is `<prefix>:group:<name>`; the
 * watermark is `<prefix>:watermark`. Callers must validate ids before building keys: a part
 * containing `:` could otherwise address another entry's lock (the HTTP layer of the app rejects
 * such ids with `400 invalid_id`).
 */

/** Appended to a value key to name its fill lock. */
export const LOCK_SUFFIX = ":lock";

/**
 * Appended to a value key to name its revision marker: the newest revision known for the entry,
 * kept for `revisionTtlSeconds` (longer than the entry), so that a miss after the entry expired can
 * still prove a database replica recent enough to load from.
 */
export const REVISION_SUFFIX = ":rev";

/** The watermark key of caches built without a keyspace. */
export const DEFAULT_WATERMARK_KEY = "lease-cache:watermark";

/** A value key and, for entries that belong to a list or page family, its group's generation key. */
export type EntryRef = { key: string; group?: string };

/** Key builders bound to one prefix (per deployment, or per test run). */
export type Keyspace = {
  /** `<prefix>:<namespace>:<parts joined by ":">`. */
  key(namespace: string, ...parts: string[]): string;
  /** `<prefix>:group:<name>`: the generation that invalidates a whole family at once. */
  group(name: string): string;
  /** `<prefix>:watermark`: the highest write id applied (pass it as `watermarkKey`). */
  watermark(): string;
};

/** Builds the key builders for `prefix` (for example `"v1"`). */
export function keyspace(prefix: string): Keyspace {
  return {
    key: (namespace, ...parts) => [prefix, namespace, ...parts].join(":"),
    group: (name) => `${prefix}:group:${name}`,
    watermark: () => `${prefix}:watermark`,
  };
}

/** The fill-lock key of a value key. */
export function lockKeyOf(key: string): string {
  return key + LOCK_SUFFIX;
}

/** The revision-marker key of a value key. */
export function revisionKeyOf(key: string): string {
  return key + REVISION_SUFFIX;
}
