/**
 * When the forgetful profile does what, as fractions of the run's duration, so one schedule fits a
 * 30 s test and a 120 s run. Written as a list (`--schedule`):
 * `snapshot@0.08,evict-lru@0.1-0.22,evict-random@0.22-0.34,delete-keys@0.36-0.5,flush@0.53,restore@0.6`.
 * Ranged faults (`from-to`) last from one point to the other; the others happen at one point.
 * Entries run one after another in the order of their start, without overlapping, so every read can
 * be attributed to the one fault that was active or last before it.
 */

/** Faults that last a while. */
export const RANGED_FAULTS = ["evict-lru", "evict-random", "delete-keys"] as const;
/** Faults (and the snapshot) that happen at one point. */
export const POINT_FAULTS = ["snapshot", "flush", "restore"] as const;

/** What an entry does. */
export type ScheduledKind = (typeof RANGED_FAULTS)[number] | (typeof POINT_FAULTS)[number];

/** One entry: `to` is set exactly for ranged faults. Times are fractions of the duration. */
export type ScheduledFault = { kind: ScheduledKind; from: number; to?: number };

/**
 * The default schedule: a snapshot early, each fault alone, the restore last with a long quiet
 * tail (40% of the run), so a stale window longer than the Cron period can show.
 */
export const DEFAULT_SCHEDULE =
  "snapshot@0.08,evict-lru@0.1-0.22,evict-random@0.22-0.34,delete-keys@0.36-0.5,flush@0.53,restore@0.6";

/** Thrown for a schedule that cannot run. */
export class ScheduleError extends Error {}

/** Parses a schedule (see the module comment); throws {@link ScheduleError} with the reason. */
export function parseSchedule(text: string): ScheduledFault[] {
  const entries = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(parseEntry)
    .sort((a, b) => a.from - b.from);
  entries.forEach((entry, i) => {
    const previous = entries[i - 1];
    const previousEnd = previous === undefined ? 0 : (previous.to ?? previous.from);
    if (previous !== undefined && entry.from < previousEnd) {
      throw new ScheduleError(`${entry.kind}@${entry.from} overlaps ${previous.kind}`);
    }
    if (entry.kind === "restore" && !entries.slice(0, i).some((e) => e.kind === "snapshot")) {
      throw new ScheduleError("a restore needs a snapshot before it");
    }
  });
  return entries;
}

function parseEntry(text: string): ScheduledFault {
  const match = /^([a-z-]+)@(\d*\.?\d+)(?:-(\d*\.?\d+))?$/.exec(text);
  if (match === null) {
    throw new ScheduleError(`cannot read "${text}": use kind@from or kind@from-to`);
  }
  const [, kind = "", fromText = "", toText] = match;
  const from = Number(fromText);
  const to = toText === undefined ? undefined : Number(toText);
  const ranged = (RANGED_FAULTS as readonly string[]).includes(kind);
  if (!ranged && !(POINT_FAULTS as readonly string[]).includes(kind)) {
    throw new ScheduleError(
      `unknown fault "${kind}"; use ${[...RANGED_FAULTS, ...POINT_FAULTS].join(", ")}`,
    );
  }
  if (ranged !== (to !== undefined)) {
    throw new ScheduleError(`${kind} ${ranged ? "needs a range from-to" : "happens at one point"}`);
  }
  if (from > 1 || (to !== undefined && (to > 1 || to <= from))) {
    throw new ScheduleError(`${text}: times are fractions of the duration, 0 ≤ from < to ≤ 1`);
  }
  return { kind: kind as ScheduledKind, from, ...(to === undefined ? {} : { to }) };
}
