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
};

const CODES: ReadonlySet<number> = new Set(Object.values(ReadCode));

/**
 * Checks the shape of a script reply. Anything unexpected (a misbehaving proxy, an error payload
 * parsed as data) throws, and the failure policy then treats Redis as unusable for this request.
 */
export function parseReadReply(reply: unknown): ReadReply {
  if (!Array.isArray(reply) || reply.length < 4) {
    throw new TypeError("unexpected reply from readOrLease");
  }
  const [code, raw, generation, holder] = reply as unknown[];
  if (typeof code !== "number" || !CODES.has(code)) {
    throw new TypeError("unexpected code from readOrLease");
  }
  return {
    code: code as ReadCodeValue,
    raw: asText(raw),
    generation: asText(generation) || "0",
    holder: asText(holder),
  };
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
  throw new TypeError("unexpected value in readOrLease reply");
}

/** Checks that a script answered an integer (fill, release and invalidate do). */
export function parseIntegerReply(reply: unknown): number {
  if (typeof reply !== "number" || !Number.isInteger(reply)) {
    throw new TypeError("unexpected reply from a cache script");
  }
  return reply;
}
