/**
 * The closed-loop floor of this machine: `clients` concurrent requests that make no outbound I/O
 * (`GET /stats` of the same isolates), each client sending its next as soon as one is answered.
 * No read path can be faster under the same number of clients, since every read also crosses this
 * dispatch and then does its own work: it is what the mix's and the flash sale's read latencies
 * should be read against, besides the sequential hit.
 */
import type { Cluster } from "./cluster";
import { percentile } from "./summary";

/** One floor measurement. */
export type DispatchFloor = {
  clients: number;
  p50Ms: number | null;
  p99Ms: number | null;
  requestsPerSecond: number;
};

/** Runs `clients` closed loops of no-I/O requests for `durationMs` (see the module comment). */
export async function dispatchFloor(
  cluster: Cluster,
  clients: number,
  durationMs: number,
): Promise<DispatchFloor> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        latencies.push(await cluster.ping());
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  return {
    clients,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requestsPerSecond: latencies.length / elapsedS,
  };
}
