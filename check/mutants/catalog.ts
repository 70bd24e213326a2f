/**
 * The mutants the checker must catch. Each is a set of patches at mutation points of the real
 * code (`@mutation-point <name>` comments), applied at bundle time; the real code is never edited.
 */
import { cacheScripts } from "lease-cache/testing";
import { luaPatches } from "./lua-patch";
import type { Patch } from "./patch-plugin";

/** A mutant's name. */
export type MutantName = "M1" | "M2" | "M3" | "M4" | "M5" | "M6" | "M7" | "M8" | "M9" | "M10";

/**
 * A mutant: what it breaks and how. `marker` is text that its bundle contains and the real
 * bundle does not (a check that the patches really reached the bundle).
 */
export type Mutant = {
  name: MutantName;
  description: string;
  patches: Patch[];
  marker: string;
};

function script(name: string) {
  const found = cacheScripts.find((s) => s.name === name);
  if (found === undefined) {
    throw new Error(`the cache has no script named ${name}`);
  }
  return found;
}

const FILL = script("fill");
const READ_OR_LEASE = script("readOrLease");
const INVALIDATE = script("invalidate");

/** The fill's checks (lease, revision fence) removed: a plain SET of whatever was loaded. */
const M1_LEASE = "-- mutant M1: no lease check";
const M1_FENCE = "-- mutant M1: no revision fence";
/** The same checks, kept for found values only: cached misses ("a":1) are filled unchecked. */
const ABSENT = "string.find(ARGV[2], '\"a\":1', 1, true)";
const M3_LEASE = `if redis.call('GET', KEYS[2]) ~= ARGV[1] and not ${ABSENT} then return 0 end -- mutant M3`;
const M3_FENCE = `if rev and rev ~= '' and tonumber(rev) > tonumber(ARGV[5]) and not ${ABSENT} then return -2 end`;
const M2_CHANGE =
  "const mutantCount = ((globalThis as { __m2?: number }).__m2 = ((globalThis as { __m2?: number }).__m2 ?? 0) + 1); if (mutantCount % 100 === 0) return; // mutant M2";
const M4_CHANGE = "    signal: AbortSignal.timeout(timeoutMs), // mutant M4";

/** Every mutant, by name. */
export const MUTANTS: Readonly<Record<MutantName, Mutant>> = {
  M1: {
    name: "M1",
    description:
      "fill is a plain SET: the FILL script's lease check and revision fence are removed",
    patches: luaPatches(FILL, [
      { point: "fill.lease-check", replaceNextLine: M1_LEASE },
      { point: "fill.revision-fence", replaceNextLine: M1_FENCE },
    ]),
    marker: M1_LEASE,
  },
  M2: {
    name: "M2",
    description:
      "invalidation skipped on 1% of writes: every 100th invalidate() of an isolate returns without calling Redis",
    // A counter, not Math.random: exactly 1% of writes, so detection does not depend on luck.
    patches: [{ point: "invalidate.entry", insert: M2_CHANGE }],
    // Comments do not survive bundling; code does.
    marker: "if (mutantCount % 100 === 0) return;",
  },
  M3: {
    name: "M3",
    description:
      'cached misses (entries with the "a":1 absent marker) are filled without the lease check and the revision fence',
    patches: luaPatches(FILL, [
      { point: "fill.lease-check", replaceNextLine: M3_LEASE },
      { point: "fill.revision-fence", replaceNextLine: M3_FENCE },
    ]),
    marker: "-- mutant M3",
  },
  M4: {
    name: "M4",
    description:
      "static AbortSignal: the Upstash client gets one AbortSignal.timeout(ms) instead of a factory",
    patches: [{ point: "upstash.signal", replaceNextLine: M4_CHANGE }],
    marker: "signal: AbortSignal.timeout(timeoutMs)",
  },
  M5: {
    name: "M5",
    description:
      "generation counters that restart from zero after a loss: a lost group generation reads as 0 and writers INCR it",
    patches: [
      ...luaPatches(READ_OR_LEASE, [
        { point: "read.lost-generation", replaceNextLine: "    gen = '0' -- mutant M5" },
      ]),
      ...luaPatches(INVALIDATE, [
        {
          point: "invalidate.group",
          replaceNextLine: "  redis.call('INCR', KEYS[3 * n + j]) -- mutant M5",
        },
      ]),
    ],
    marker: "-- mutant M5",
  },
  M6: {
    name: "M6",
    description:
      "recovery replay off: the Cron job and the watermark regression replay nothing after Redis loses data or restores an old snapshot",
    patches: [
      { point: "replay.entry", insert: "  if (report.rows === 0) return report; // mutant M6" },
    ],
    marker: "if (report.rows === 0) return report;",
  },
  M7: {
    name: "M7",
    description:
      "the writer's write-back without its fence: an invalidation stores the write's state even over a newer one",
    patches: luaPatches(INVALIDATE, [
      {
        point: "invalidate.revision-fence",
        replaceNextLine: "      local replace = true -- mutant M7",
      },
    ]),
    marker: "-- mutant M7",
  },
  M8: {
    name: "M8",
    description:
      "fills without the replica fence: loads read the replica whatever its revision, and the fill keeps a replica load over nothing stored",
    patches: [
      { point: "load.replica-allowed", replaceNextLine: "    if (dbReplica !== undefined) {" },
      { point: "load.replica-recent", replaceNextLine: "      if (fromReplica !== undefined) {" },
      ...luaPatches(FILL, [{ point: "fill.replica-fence", replaceNextLine: "  -- mutant M8" }]),
    ],
    marker: "-- mutant M8",
  },
  M9: {
    name: "M9",
    description:
      "a writer creates a lost revision marker: invalidate sets the marker where none is stored, so a late call of an older write leaves a fence below an acknowledged write",
    patches: luaPatches(INVALIDATE, [
      {
        point: "invalidate.marker-present",
        replaceNextLine: "    if not marker or marker < tonumber(rev) then -- mutant M9",
      },
    ]),
    marker: "-- mutant M9",
  },
  M10: {
    name: "M10",
    description:
      "coalescing joins the running batch: a request shares a Redis read (and load) that was sent before it arrived, so it can be answered with what a write it saw acknowledged replaced",
    patches: [
      {
        point: "coalesce.join-open-batch",
        replaceNextLine: "    const open = queue.next ?? queue.running; // mutant M10",
      },
    ],
    marker: "queue.next ?? queue.running",
  },
};

/** Mutant names in order. */
export const MUTANT_NAMES: readonly MutantName[] = [
  "M1",
  "M2",
  "M3",
  "M4",
  "M5",
  "M6",
  "M7",
  "M8",
  "M9",
  "M10",
];

/**
 * The mutants each fault profile of the checker is built to catch (its default `--mutant`): the
 * race knobs catch the fill, invalidation, signal and write-back mutants; only a Redis that
 * forgets catches M5 and M6, only lagging replicas catch M8, and only answers that arrive late
 * (after a write was acknowledged) catch M10.
 */
export const MUTANTS_BY_PROFILE: Readonly<
  Record<"race" | "forgetful" | "replicas" | "late-replies", readonly MutantName[]>
> = {
  race: ["M1", "M2", "M3", "M4", "M7"],
  forgetful: ["M5", "M6"],
  replicas: ["M8"],
  "late-replies": ["M10"],
};
