/**
 * Fault knobs of this run's local servers, from inside a test (over their `/__control/faults`
 * endpoints, so it works from any test worker). Reset them in `afterEach` when a test sets any.
 */
import { inject } from "vitest";
import type { FaultSettings } from "../../emulators/shared/faults";
import { controlFaults, type FaultState } from "../../harness/fault-control";

/** Merges `patch` into the Upstash REST server's faults (the Worker's view of Redis). */
export function setRedisFaults(patch: Partial<FaultSettings>): Promise<FaultState> {
  return controlFaults(inject("stack").redisFaultsUrl, { method: "POST", patch });
}

/** Merges `patch` into the Neon server's faults (the Worker's view of Postgres). */
export function setDbFaults(patch: Partial<FaultSettings>): Promise<FaultState> {
  return controlFaults(inject("stack").dbFaultsUrl, { method: "POST", patch });
}

/** Reads both servers' knobs and applied-fault counters. */
export async function getFaults(): Promise<{ redis: FaultState; db: FaultState }> {
  const stack = inject("stack");
  const [redis, db] = await Promise.all([
    controlFaults(stack.redisFaultsUrl, { method: "GET" }),
    controlFaults(stack.dbFaultsUrl, { method: "GET" }),
  ]);
  return { redis, db };
}

/** Puts both servers back to no faults (held `hang` requests are released). */
export async function resetFaults(): Promise<void> {
  const stack = inject("stack");
  await Promise.all([
    controlFaults(stack.redisFaultsUrl, { method: "DELETE" }),
    controlFaults(stack.dbFaultsUrl, { method: "DELETE" }),
  ]);
}
