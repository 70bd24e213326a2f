/**
 * Stale-read detection over a history timed on one monotonic clock: a read is stale when a write to
 * the same id was acknowledged before the read was invoked and the read returned an older version
 * (an absent answer counts as older than any version).
 */

/** One acknowledged write. */
export type WriteEvent = { id: string; completedAt: number; version: number };

/** One completed read. */
export type ReadEvent = { id: string; invokedAt: number; version: number | null };

/** The stale reads of `reads` given the acknowledged `writes`. */
export function staleReads<R extends ReadEvent>(
  reads: readonly R[],
  writes: readonly WriteEvent[],
): R[] {
  const byId = new Map<string, WriteEvent[]>();
  for (const w of writes) {
    const list = byId.get(w.id) ?? [];
    list.push(w);
    byId.set(w.id, list);
  }
  for (const list of byId.values()) {
    list.sort((a, b) => a.completedAt - b.completedAt);
  }
  return reads.filter((r) => {
    const floor = newestAckedBefore(byId.get(r.id) ?? [], r.invokedAt);
    return floor !== null && (r.version === null || r.version < floor);
  });
}

/** Highest version among writes acknowledged strictly before `at` (`writes` sorted by completion). */
function newestAckedBefore(writes: readonly WriteEvent[], at: number): number | null {
  let newest: number | null = null;
  for (const w of writes) {
    if (w.completedAt >= at) {
      break;
    }
    newest = newest === null ? w.version : Math.max(newest, w.version);
  }
  return newest;
}
