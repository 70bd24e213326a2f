/**
 * A client of the local servers' fault endpoints (`<server>/__control/faults`, see
 * `emulators/shared/faults.ts`): GET reads the knobs, POST merges a patch, DELETE resets them.
 * Over HTTP, so it works from any process: a test worker, the bench, the checker.
 */
import type { FaultSettings } from "../emulators/shared/faults";

/** The knobs in force and how often each mode was applied, as the control endpoint reports them. */
export type FaultState = { settings: FaultSettings; applied?: Record<string, number> };

/** What {@link controlFaults} can do: read, merge a patch, or reset. */
export type FaultRequest =
  | { method: "GET" }
  | { method: "POST"; patch: Partial<FaultSettings> }
  | { method: "DELETE" };

/**
 * Sends one request to the fault endpoint `url` and returns the state it reports.
 * @throws when the server answers anything but 2xx
 */
export async function controlFaults(url: string, request: FaultRequest): Promise<FaultState> {
  const res = await fetch(url, {
    method: request.method,
    ...(request.method === "POST"
      ? { body: JSON.stringify(request.patch), headers: { "content-type": "application/json" } }
      : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${request.method} ${url} answered ${res.status}: ${text}`);
  }
  return JSON.parse(text) as FaultState;
}
