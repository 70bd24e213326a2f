/**
 * The closed-loop floors of this machine: `clients` concurrent requests to the same isolates, each
 * client sending its next as soon as one is answered, that do nothing but cross the dispatch
 * (`none`: `GET /stats`) or cross it and make exactly one Upstash REST `GET` (`one-get`, a plain
 * `fetch`). No read path can be faster under the same number of clients than `none`, and no path
 * that makes a Redis round trip per read can be faster than `one-get`: they are what the mix's and
 * the flash sale's read latencies should be read against, besides the sequential hit. The mix's
 * own floor (`mix`: one-GET reads and no-cache writes in the mix's loop) is in
 * `scenarios/read-write-mix.ts`, which owns that loop.
 */
import type { FloorKind } from "../protocol";
import type { Cluster } from "./cluster";
import { percentile } from "./summary";

/** A floor's kind: a probe of `FLOOR_ROUTES`, or the mix's floor. */
export type FloorMeasure = FloorKind | "mix";

/** One floor measurement. */
export type DispatchFloor = {
  kind: FloorMeasure;
  clients: number;
  /** Of the probes (for `mix`, of its reads). */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Answered requests per second (for `mix`, reads and writes together). */
  requestsPerSecond: number;
  /** Probes that failed (not in the latencies); the first failure's message in `firstError`. */
  errors: number;
  firstError?: string;
};

/** What each floor kind does, for tables. */
export const FLOOR_LABELS: Readonly<Record<FloorMeasure, string>> = {
  none: "no I/O",
  "one-get": "one Redis GET",
  "nearest-miss": "a read-region GET, a primary SET and a replica query",
  mix: "the mix with one-GET reads and no-cache writes",
};

/** Runs `clients` closed loops of `kind` probes for `durationMs` (see the module comment). */
export async function dispatchFloor(
  cluster: Cluster,
  kind: FloorKind,
  clients: number,
  durationMs: number,
): Promise<DispatchFloor> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        try {
          latencies.push(await cluster.ping(kind));
        } catch (err: unknown) {
          errors += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  return {
    kind,
    clients,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: latencies.length / elapsedS,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}
