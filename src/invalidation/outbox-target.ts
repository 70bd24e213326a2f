/**
 * Outbox rows as the cache takes them: versioned keys get tombstones at their revision (the drain
 * and replays do not have the written states; a reader loads them under a fresh lease), the rest is
 * deleted, groups voided, the highest id kept as the watermark.
 *
 * @module
 */
import type { InvalidationTarget } from "lease-cache";
import type { OutboxInvalidation } from "../db/outbox";

/** The cache invalidation of merged outbox rows. */
export function toCacheTarget(invalidation: OutboxInvalidation): InvalidationTarget {
  return {
    keys: invalidation.unversioned,
    entries: invalidation.versioned,
    groups: invalidation.groups,
    writeId: invalidation.writeId,
  };
}
