/**
 * The shape of a differential case: one operation written twice, as a typed `@upstash/redis` call
 * (through the emulator) and as the raw Redis command it should amount to (sent directly, by
 * ioredis). Both run on their own copy of the keys; their results must be equal.
 * @module
 */
import type { Redis } from "@upstash/redis";

/** Maps a short key name to this side's full key. */
export type Key = (name: string) => string;

/** One operation. */
export type Step = {
  /** The command sent directly to Redis (by ioredis, as a raw command: `call(name, ...args)`). */
  direct: (k: Key) => (string | number)[];
  /** The same operation through the real client and the emulator. */
  client: (redis: Redis, k: Key) => Promise<unknown>;
  /** Makes order-insensitive or clock-dependent results comparable (applied to both sides). */
  normalize?: (value: unknown) => unknown;
};

/** A named sequence of steps sharing keys. */
export type Case = { name: string; steps: Step[] };

/** Shorthand constructor for a {@link Step}. */
export function step(
  direct: Step["direct"],
  client: Step["client"],
  normalize?: Step["normalize"],
): Step {
  return normalize === undefined ? { direct, client } : { direct, client, normalize };
}

/** Sorts an array reply (set members, random picks). */
export function sorted(value: unknown): unknown {
  return Array.isArray(value) ? [...value].map(String).sort() : value;
}

/** For `[cursor, items]` scan replies: drops the cursor, sorts the items. */
export function scanItems(value: unknown): unknown {
  return Array.isArray(value) ? sorted(value[1]) : value;
}

/** Milliseconds rounded to seconds, for PTTL-style replies that drift between the two sides. */
export function roughSeconds(value: unknown): unknown {
  return typeof value === "number" && value > 0 ? Math.round(value / 1000) : value;
}

/** Replaces every occurrence of `prefix` in strings at any depth by `<p>`. */
export function withoutPrefix(value: unknown, prefix: string): unknown {
  if (typeof value === "string") {
    return value.split(prefix).join("<p>");
  }
  if (Array.isArray(value)) {
    return value.map((item) => withoutPrefix(item, prefix));
  }
  return value;
}
