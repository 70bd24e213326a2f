/**
 * Fault knobs of this run's local servers, from inside a test (over their `/__control/faults`
 * endpoints, so it works from any test worker). Reset them in `afterEach` when a test sets any.
 */
import { inject } from "vitest";
import type { FaultSettings } from "../../emulators/shared/faults";

/** The knobs in force and how often each mode was applied, as the control endpoint reports them. */
export type FaultState = { settings: FaultSettings; applied?: Record<string, number> };

/** Merges `patch` into the Upstash REST server's faults (the Worker's view of Redis). */
export function setRedisFaults(patch: Partial<FaultSettings>): Promise<FaultState> {
  return control(inject("stack").redisFaultsUrl, "POST", patch);
}

/** Merges `patch` into the Neon server's faults (the Worker's view of Postgres). */
export function setDbFaults(patch: Partial<FaultSettings>): Promise<FaultState> {
  return control(inject("stack").dbFaultsUrl, "POST", patch);
}

/** Reads both servers' knobs and applied-fault counters. */
export async function getFaults(): Promise<{ redis: FaultState; db: FaultState }> {
  const stack = inject("stack");
  const [redis, db] = await Promise.all([
    control(stack.redisFaultsUrl, "GET"),
    control(stack.dbFaultsUrl, "GET"),
  ]);
  return { redis, db };
}

/** Puts both servers back to no faults (held `hang` requests are released). */
export async function resetFaults(): Promise<void> {
  const stack = inject("stack");
  await Promise.all([
    control(stack.redisFaultsUrl, "DELETE"),
    control(stack.dbFaultsUrl, "DELETE"),
  ]);
}

async function control(url: string, method: string, body?: unknown): Promise<FaultState> {
  const res = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  }
  return JSON.parse(text) as FaultState;
}
