import { ReadCode, type ReadCodeValue } from "./scripts.js";

/** A decoded reply of the `readOrLease` / `dropAndLease` scripts. */
export type ReadReply = {
  code: ReadCodeValue;
  /** The stored string, `""` when there is none. */
  raw: string;
  /** The group generation seen by the read (`"0"` without a group). */
  generation: string;
  /** Token of the lock holder, `""` when nobody holds the lock. */
  holder: string;
  /** Revision of what is stored (an entry or a tombstone); `undefined` when nothing versioned is. */
  storedRev: number | undefined;
  /** The watermark Redis holds; `undefined` when it holds none. */
  watermark: number | undefined;
};

/** A decoded reply of the read-only `peek` script. */
export type PeekReply = {
  raw: string;
  /** `""` when the entry's group has no generation. */
  generation: string;
  watermark: number | undefined;
  /** Remaining lifetime of the entry in ms (-2 when there is none). */
  pttlMs: number;
};

/** What the `invalidate` script reports. */
export type InvalidateReply = { changed: number; previousWatermark: number | undefined };

const CODES: ReadonlySet<number> = new Set(Object.values(ReadCode));

/**
 * Checks the shape of a script reply. Anything unexpected (a misbehaving proxy, an error payload
 * parsed as data) throws, and the failure policy then treats Redis as unusable for this request.
 */
export function parseReadReply(reply: unknown): ReadReply {
  const [code, raw, generation, holder, rev, watermark] = tuple(reply, 6, "readOrLease");
  if (typeof code !== "number" || !CODES.has(code)) {
    throw new TypeError("unexpected code from readOrLease");
  }
  return {
    code: code as ReadCodeValue,
    raw: asText(raw),
    generation: asText(generation) || "0",
    holder: asText(holder),
    storedRev: asNumber(rev),
    watermark: asNumber(watermark),
  };
}

/** Checks the shape of a `peek` reply. */
export function parsePeekReply(reply: unknown): PeekReply {
  const [raw, generation, watermark, pttl] = tuple(reply, 4, "peek");
  if (typeof pttl !== "number") {
    throw new TypeError("unexpected remaining lifetime from peek");
  }
  return {
    raw: asText(raw),
    generation: asText(generation),
    watermark: asNumber(watermark),
    pttlMs: pttl,
  };
}

/** Checks the shape of an `invalidate` reply. */
export function parseInvalidateReply(reply: unknown): InvalidateReply {
  const [changed, watermark] = tuple(reply, 2, "invalidate");
  if (typeof changed !== "number" || !Number.isInteger(changed)) {
    throw new TypeError("unexpected count from invalidate");
  }
  return { changed, previousWatermark: asNumber(watermark) };
}

/** Checks that a script answered an integer (fill and release do). */
export function parseIntegerReply(reply: unknown): number {
  if (typeof reply !== "number" || !Number.isInteger(reply)) {
    throw new TypeError("unexpected reply from a cache script");
  }
  return reply;
}

function tuple(reply: unknown, length: number, script: string): unknown[] {
  if (!Array.isArray(reply) || reply.length < length) {
    throw new TypeError(`unexpected reply from ${script}`);
  }
  return reply as unknown[];
}

// Replies can carry numbers where Lua held numeric strings (a generation of "3" may be decoded as 3
// by clients that deserialize), so normalise to text.
function asText(value: unknown): string {
  if (typeof value === "string") {
    return value;
  }
  if (typeof value === "number") {
    return String(value);
  }
  if (value === null || value === undefined || value === false) {
    return "";
  }
  throw new TypeError("unexpected value in a cache script reply");
}

function asNumber(value: unknown): number | undefined {
  const text = asText(value);
  if (text === "") {
    return undefined;
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TypeError("unexpected number in a cache script reply");
  }
  return n;
}
