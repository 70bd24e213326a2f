/**
 * The forgetful profile's short run inside `npm test` (the full run is
 * `npm run check:consistency -- --profile forgetful`).
 */
import { describe, expect, inject, it } from "vitest";
import { formatReport } from "../../check/consistency/report";
import { parseSchedule } from "../../check/forgetful/schedule";
import { runForgetfulSuite } from "../../check/forgetful/suite";

const stack = inject("stack");
const SEED = 20261127;

describe("the forgetful profile, short run", () => {
  it("experiment", async () => {
    const [r, r2] = await runForgetfulSuite(stack, {
      paths: ["M5"],
      schedule: parseSchedule(
        "snapshot@0.05,evict-lru@0.08-0.2,evict-random@0.2-0.32,delete-keys@0.35-0.55,flush@0.58,restore@0.62",
      ),
      seed: SEED,
      durationMs: 30_000,
      cronPeriodMs: 3000,
      convergeDeadlineMs: 5000,
    });
    if (r === undefined) {
      throw new Error("no result");
    }
    console.log(formatReport([r, ...(r2 ? [r2] : [])]));
    const { writeFileSync } = await import("node:fs");
    writeFileSync("/tmp/ckexp/result.json", JSON.stringify({ r, ops: undefined }, null, 1));
    expect(r.forgetful).toBeDefined();
  }, 120_000);
});
