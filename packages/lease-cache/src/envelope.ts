/**
 * How an entry is stored in Redis: `ca1|<generation>|<staleWindowMs>|<json>`.
 *
 * The header is plain text so the Lua scripts can check the generation and the stale window without
 * decoding JSON; the JSON holds the fill time and either the value or an explicit "absent" marker, so
 * a cached miss can never be confused with a missing key (`@upstash/redis` would read a bare stored
 * `null` as a miss). Anything that does not decode is reported as corrupt and dropped by the caller.
 */
import type { Loaded } from "./types.js";

/** The first field of every stored entry; the Lua scripts match it too (`scripts.ts`). */
export const ENVELOPE_MAGIC = "ca1";

const HEADER = new RegExp(`^${ENVELOPE_MAGIC}\\|([^|]*)\\|(\\d+)\\|(.*)$`, "s");

/** The plain-text header of a stored entry and the JSON after it. */
export type EnvelopeParts = { generation: string; staleWindowMs: number; json: string };

/** Splits a stored string into header fields and JSON; `undefined` when it has no valid header. */
export function parseEnvelope(raw: string): EnvelopeParts | undefined {
  const parts = HEADER.exec(raw);
  if (parts === null) {
    return undefined;
  }
  return {
    generation: parts[1] ?? "",
    staleWindowMs: Number(parts[2]),
    json: parts[3] ?? "",
  };
}

/** A decoded entry. */
export type Entry = {
  /** Fill time, ms since the epoch (the filling isolate's clock). */
  filledAt: number;
  loaded: Loaded<unknown>;
};

type Payload = { t: number; v: unknown } | { t: number; a: 1 };

/** Encodes an entry for the fill script. `generation` is `"0"` for entries without a group. */
export function encodeEntry(entry: Entry, generation: string, staleWindowMs: number): string {
  const payload: Payload = entry.loaded.found
    ? { t: entry.filledAt, v: entry.loaded.value }
    : { t: entry.filledAt, a: 1 };
  return `${ENVELOPE_MAGIC}|${generation}|${Math.max(0, Math.floor(staleWindowMs))}|${JSON.stringify(payload)}`;
}

/** Decodes a stored string; `undefined` when it is corrupt or was not written by this code. */
export function decodeEntry(raw: string): Entry | undefined {
  const json = parseEnvelope(raw)?.json;
  if (json === undefined) {
    return undefined;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return undefined;
  }
  const record = payload as Record<string, unknown>;
  const filledAt = record.t;
  if (typeof filledAt !== "number" || !Number.isFinite(filledAt)) {
    return undefined;
  }
  if (record.a === 1 && !("v" in record)) {
    return { filledAt, loaded: { found: false } };
  }
  if ("v" in record && record.a === undefined) {
    return { filledAt, loaded: { found: true, value: record.v } };
  }
  return undefined;
}
