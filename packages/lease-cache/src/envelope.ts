/**
 * How an entry is stored in Redis: `ca2|<kind>|<generation>|<staleWindowMs>|<rev>|<payload>`.
 *
 * The header is plain text so the Lua scripts can check it without decoding JSON:
 * - `kind`: `v` for an entry (a value or a cached "absent"), `t` for a tombstone — what a writer
 *   leaves when it cannot store the new state itself: a miss that still remembers the newest
 *   revision, so no older state can be filled over it;
 * - `generation`: the group generation the entry was filled under (`0` without a group);
 * - `staleWindowMs`: how long before expiry the entry counts as stale (refreshed while served);
 * - `rev`: the revision of the stored state (the loader's, for example a per-row counter that every
 *   write bumps), empty for entries that are not versioned.
 *
 * The JSON payload holds the fill time and either the value (values are JSON: a `Date` comes back
 * as its string), an explicit "absent" marker, or a marker for a found `undefined`, so a cached
 * miss can never be confused with a missing key (`@upstash/redis` would read a bare stored
 * `null` as a miss). Anything that does not decode is reported as corrupt and dropped by the caller.
 */
import type { Loaded } from "./types.js";

/** The first field of every stored entry; the Lua scripts match it too (`scripts.ts`). */
export const ENVELOPE_MAGIC = "ca2";

const HEADER = new RegExp(`^${ENVELOPE_MAGIC}\\|([vt])\\|([^|]*)\\|(\\d+)\\|(\\d*)\\|(.*)$`, "s");

/** A decoded entry. */
export type Entry = {
  /** Fill time, ms since the epoch (the filling isolate's clock). */
  filledAt: number;
  loaded: Loaded<unknown>;
  /** Revision of the stored state; `undefined` for entries that are not versioned. */
  rev?: number;
};

/** The plain-text header of a stored string and the payload after it. */
export type EnvelopeParts = {
  kind: "v" | "t";
  generation: string;
  staleWindowMs: number;
  rev: number | undefined;
  payload: string;
};

/** Where an entry is filled: its group generation and stale window. */
export type EntryPlacement = { generation: string; staleWindowMs: number };

// `u` marks a found `undefined`, which JSON cannot hold as `v`.
type Payload = { t: number; v: unknown } | { t: number; a: 1 } | { t: number; u: 1 };

/** Splits a stored string into header fields and payload; `undefined` when it has no valid header. */
export function parseEnvelope(raw: string): EnvelopeParts | undefined {
  const parts = HEADER.exec(raw);
  if (parts === null) {
    return undefined;
  }
  const rev = parts[4] ?? "";
  return {
    kind: parts[1] === "t" ? "t" : "v",
    generation: parts[2] ?? "",
    staleWindowMs: Number(parts[3]),
    rev: rev === "" ? undefined : Number(rev),
    payload: parts[5] ?? "",
  };
}

/** Encodes an entry. `generation` is `"0"` for entries without a group. */
export function encodeEntry(entry: Entry, placement: EntryPlacement): string {
  const payload: Payload = !entry.loaded.found
    ? { t: entry.filledAt, a: 1 }
    : entry.loaded.value === undefined
      ? { t: entry.filledAt, u: 1 }
      : { t: entry.filledAt, v: entry.loaded.value };
  const window = Math.max(0, Math.floor(placement.staleWindowMs));
  return `${ENVELOPE_MAGIC}|v|${placement.generation}|${window}|${entry.rev ?? ""}|${JSON.stringify(payload)}`;
}

/** Encodes a tombstone: no state, but the newest known revision `rev`. */
export function encodeTombstone(rev: number, at: number): string {
  return `${ENVELOPE_MAGIC}|t|0|0|${rev}|${JSON.stringify({ t: at })}`;
}

/** Decodes a stored entry; `undefined` when it is a tombstone, corrupt, or not written by this code. */
export function decodeEntry(raw: string): Entry | undefined {
  const parts = parseEnvelope(raw);
  if (parts === undefined || parts.kind !== "v") {
    return undefined;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(parts.payload);
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
  const rev = parts.rev === undefined ? {} : { rev: parts.rev };
  if (record.a === 1 && !("v" in record)) {
    return { filledAt, loaded: { found: false }, ...rev };
  }
  if (record.u === 1 && !("v" in record) && record.a === undefined) {
    return { filledAt, loaded: { found: true, value: undefined }, ...rev };
  }
  if ("v" in record && record.a === undefined) {
    return { filledAt, loaded: { found: true, value: record.v }, ...rev };
  }
  return undefined;
}
