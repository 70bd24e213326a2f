/**
 * The machine's busy CPU time, from Linux's `/proc/stat`: every process counts (the Worker
 * isolates, the Upstash and Neon servers, Redis, Postgres and the bench's own client), which is
 * what a closed loop on a shared machine is limited by.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/**
 * `/proc/stat` counts in USER_HZ ticks, which Linux fixes at 100 per second for user space on
 * every architecture (`sysconf(_SC_CLK_TCK)`), whatever the kernel's own tick rate.
 */
const MS_PER_TICK = 10;

/** Fields of the aggregate `cpu` line that are busy time: user, nice, system, irq, softirq, steal. */
const BUSY_FIELDS = [0, 1, 2, 5, 6, 7] as const;

/**
 * CPU time spent by the whole machine since boot, in ms summed over its CPUs; `null` where
 * `/proc/stat` is unavailable (not Linux), in which case the cost rows are left empty.
 */
export function machineBusyMs(): number | null {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return null;
  }
  const line = stat.split("\n").find((l) => l.startsWith("cpu "));
  if (line === undefined) {
    return null;
  }
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const ticks = BUSY_FIELDS.reduce<number>((sum, i) => sum + (fields[i] ?? 0), 0);
  return Number.isFinite(ticks) ? ticks * MS_PER_TICK : null;
}

/** Runs `work` and returns the machine CPU it took in ms (`null` when it cannot be read). */
export async function machineCpuOf(work: () => Promise<void>): Promise<number | null> {
  const before = machineBusyMs();
  await work();
  const after = machineBusyMs();
  return before === null || after === null ? null : after - before;
}
