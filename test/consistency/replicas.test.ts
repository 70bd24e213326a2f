/**
 * The replica profile's short run inside `npm test`: private Redis and Postgres replicas whose lag
 * the nemesis changes all the time (0–500 ms each), a workload whose writers carry bookmarks. The
 * real core must keep rule 8 in both read modes (no bookmarked read older than its bookmark, no
 * stale fill); M8 (fills without the replica fence) must be caught. The full run is
 * `npm run check:consistency -- --profile replicas --duration 60`.
 *
 * Sized by acknowledged writes, not by time: M8 shows once a write meets an entry that is not
 * stored and a load that the lagging standby answers, so its evidence grows with writes. The lag
 * changes every 250–750 ms here (1–3 s in the CLI), so even a run of a few seconds sees a dozen
 * draws instead of two or three: with the CLI's cadence a 5 s run of seed 21 drew a standby lag
 * of 8 then 89 ms and M8 showed nothing. Measured with this cadence on the 2-core machine
 * (stale fills per run): M8 strong, 300 writes: 30–66 (8 seeds); M8 nearest, 300 writes: 4–30
 * (8 seeds, median 16), 600 writes: 20–52 (6 seeds, this one 52) — hence 600 here, where a miss
 * would take a run with less than a twentieth of the lowest count seen. The real core, 150
 * writes: 0 bookmarked stale, 0 stale fills, 0 impossible or lost in every run (4 seeds per
 * mode; strong mode also 0 stale reads of any kind).
 */
import { describe, expect, inject, it } from "vitest";
import { findingsOf, formatReport } from "../../check/consistency/report";
import type { CheckResult } from "../../check/consistency/run";
import type { PathName } from "../../check/consistency/suite";
import type { ReadMode } from "../../check/replicas/private-replicas";
import { type ReplicaSuiteOptions, runReplicaSuite } from "../../check/replicas/suite";

const stack = inject("stack");
const SEED = 20261202;

const SHORT: Omit<ReplicaSuiteOptions, "paths" | "modes"> = {
  seed: SEED,
  // The writes decide the length (minWrites); the duration is only a floor.
  durationMs: 1000,
  maxDurationMs: 60_000,
  lagEveryMs: [250, 750],
  convergeDeadlineMs: 5000,
};

async function run(path: PathName, mode: ReadMode, minWrites: number): Promise<CheckResult> {
  const [result] = await runReplicaSuite(stack, {
    ...SHORT,
    paths: [path],
    modes: [mode],
    minWrites,
  });
  if (result?.replicas === undefined) {
    throw new Error(`no replica result for ${path}/${mode}`);
  }
  return result;
}

describe("the replica profile, short run", () => {
  it("the real core in strong mode: bookmarked reads see their write, no stale fill, no stale read at all", async () => {
    const r = await run("real", "strong", 150);
    const report = formatReport([r]);
    const a = r.replicas?.analysis;
    // The nemesis really moved the lags, and the writers really carried bookmarks.
    expect(a?.lagChanges ?? 0, report).toBeGreaterThan(4);
    expect(a?.bookmarked.reads ?? 0, report).toBeGreaterThan(100);
    expect([a?.bookmarked.stale, a?.bookmarked.monotonic, a?.staleFills.total], report).toEqual([
      0, 0, 0,
    ]);
    const c = r.analysis.counts;
    expect([c.stale, c.monotonic, c.impossible, c.lost], report).toEqual([0, 0, 0, 0]);
    expect(findingsOf(r), report).toBe(0);
  }, 60_000);

  it("the real core in nearest mode: unbookmarked reads lag behind the read region, bookmarked ones never, no stale fill", async () => {
    const r = await run("real", "nearest", 150);
    const report = formatReport([r]);
    const a = r.replicas?.analysis;
    expect(a?.bookmarked.reads ?? 0, report).toBeGreaterThan(100);
    expect([a?.bookmarked.stale, a?.bookmarked.monotonic, a?.staleFills.total], report).toEqual([
      0, 0, 0,
    ]);
    // The read region really lags: without a bookmark, reads see older states.
    expect(a?.unbookmarked.stale ?? 0, report).toBeGreaterThan(0);
    const c = r.analysis.counts;
    expect([c.impossible, c.lost], report).toEqual([0, 0]);
  }, 60_000);

  it("catches mutant M8 (fills without the replica fence) in strong mode: stale fills and reads older than their bookmark", async () => {
    const r = await run("M8", "strong", 300);
    const report = formatReport([r]);
    expect(r.replicas?.analysis.staleFills.total ?? 0, report).toBeGreaterThan(0);
    expect(r.replicas?.analysis.bookmarked.stale ?? 0, report).toBeGreaterThan(0);
  }, 60_000);

  it("catches mutant M8 in nearest mode too: the load path does not depend on the read mode", async () => {
    const r = await run("M8", "nearest", 600);
    const report = formatReport([r]);
    expect(r.replicas?.analysis.staleFills.total ?? 0, report).toBeGreaterThan(0);
  }, 90_000);
});
