import { platform } from "node:os";
import { describe, expect, it } from "vitest";
import { machineBusyMs, machineCpuOf } from "../../bench/lib/machine-cpu";

/** Spins the CPU for `ms` of this process's own CPU time. */
function spin(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) {
      return;
    }
  }
}

describe.runIf(platform() === "linux")("the machine's CPU time (bench cost rows)", () => {
  it("counts at least the CPU this process spent, give or take a tick per field", async () => {
    const own = process.cpuUsage();
    const machine = await machineCpuOf(async () => spin(200));
    const used = process.cpuUsage(own);
    const ownMs = (used.user + used.system) / 1000;
    expect(machine).not.toBeNull();
    // Every process counts, so the machine's busy time is at least this process's own.
    expect(machine ?? 0).toBeGreaterThanOrEqual(ownMs - 60);
  });

  it("never goes backwards", () => {
    const first = machineBusyMs();
    spin(20);
    const second = machineBusyMs();
    expect(first).not.toBeNull();
    expect(second ?? 0).toBeGreaterThanOrEqual(first ?? 0);
  });
});
