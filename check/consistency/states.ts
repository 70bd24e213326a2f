/**
 * The order of a key's states. Versions restart at 1 when a product is deleted and created again,
 * so a state is the pair (incarnation, version), compared lexicographically, where:
 * - an incarnation is named by the product's `createdAt` and ranked by it (1 = the first creation
 *   seen in the run, 0 = "never created");
 * - a tombstone (the key is absent after a DELETE of incarnation i) sits after every version of i
 *   and before incarnation i + 1.
 * A state is encoded as one number, `rank * 1e9 + version` (tombstone: `rank * 1e9 + TOMBSTONE`).
 */

/** Stands for "absent" in the version slot; larger than any real version. */
export const TOMBSTONE = 999_999_999;
const SLOT = 1_000_000_000;

/** Versions and createdAt values that name the same incarnation when read back through `pg`. */
const CREATED_AT_TOLERANCE_MS = 2;

/** Encodes (rank, version); `version` -1 means the tombstone of that incarnation. */
export function encodeState(rank: number, version: number): number {
  return rank * SLOT + (version < 0 ? TOMBSTONE : version);
}

/** `v3@2` (version 3 of the second incarnation) or `absent@2` (after deleting it). */
export function describeState(state: number): string {
  const rank = Math.floor(state / SLOT);
  const version = state % SLOT;
  return version === TOMBSTONE ? `absent@${rank}` : `v${version}@${rank}`;
}

/** Ranks the incarnations of one key by their `createdAt`. */
export class Incarnations {
  readonly #sorted: number[];

  /** @param createdAts every `createdAt` (ms) seen for the key, in any order, duplicates allowed */
  constructor(createdAts: Iterable<number>) {
    this.#sorted = [...new Set(createdAts)].sort((a, b) => a - b);
  }

  /** The rank of the incarnation created at `createdAt` (1-based); throws if it was never seen. */
  rank(createdAt: number): number {
    const index = this.#sorted.indexOf(createdAt);
    if (index < 0) {
      throw new RangeError(`unknown incarnation createdAt=${createdAt}`);
    }
    return index + 1;
  }

  /**
   * The known `createdAt` within a couple of ms of `createdAt` (the final state is read with `pg`,
   * whose timestamp parsing may differ from the Worker's by rounding), or `createdAt` itself.
   */
  static align(known: readonly number[], createdAt: number): number {
    let best = createdAt;
    let bestDelta = CREATED_AT_TOLERANCE_MS + 1;
    for (const k of known) {
      const delta = Math.abs(k - createdAt);
      if (delta < bestDelta) {
        best = k;
        bestDelta = delta;
      }
    }
    return best;
  }
}

/** Index of the last element of ascending `times` that is `< limit`, or -1. */
export function lastBefore(times: readonly number[], limit: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] ?? Number.POSITIVE_INFINITY) < limit) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

/** Running maximum of `values` (same length). */
export function prefixMax(values: readonly number[]): number[] {
  const out: number[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    max = Math.max(max, v);
    out.push(max);
  }
  return out;
}
