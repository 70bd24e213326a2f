/**
 * The forced stale-fill race, made deterministic with a gate in the loader (`handler.ts`): a read on
 * isolate 0 misses and loads version N, then stops; a write through the path on another isolate
 * commits N + 1 and runs the path's invalidation and is acknowledged; then the held read goes on
 * and hands N to its cache. Afterwards every isolate reads the product twice: a read older than
 * N + 1 means the path put N back (a stale fill). Repeated on fresh keys (5 times, 2 with
 * `--quick`). Expected for core: never (its fills are fenced by lease and revision).
 */
import { randomBytes } from "node:crypto";
import type { ReadSample } from "../lib/cluster";
import { errorCount, type Scenario } from "./scenario";

const repetitions = (quick: boolean) => (quick ? 2 : 5);
const idOf = (rep: number) => `race-${rep + 1}`;
const READS_AFTER_PER_ISOLATE = 2;

/** See the module comment. */
export const staleFillRace: Scenario = {
  id: "race",
  title: "Forced stale-fill race (a load of version N held until N + 1 is acknowledged)",
  description:
    "A read's loader is held after reading version N while a write commits N + 1 through the path and is acknowledged; then the load is let go and every isolate reads the product.",
  cluster: "default",
  rows: [
    { key: "staleFills", label: "races that left the old version cached", digits: 0 },
    { key: "races", label: "races run", digits: 0 },
    { key: "staleReadsAfter", label: "stale reads after the race", digits: 0 },
    { key: "readsAfter", label: "reads after the race", digits: 0 },
    { key: "errors", label: "errors", digits: 0 },
  ],
  seedIds: (options) => Array.from({ length: repetitions(options.quick) }, (_, r) => idOf(r)),
  async run(ctx, path) {
    const { cluster } = ctx;
    const reps = repetitions(ctx.options.quick);
    const writer = cluster.isolates > 1 ? 1 : 0;
    let staleFills = 0;
    let staleReadsAfter = 0;
    let heldLoadedOld = 0;
    const samples: ReadSample[] = [];
    for (let rep = 0; rep < reps; rep++) {
      await ctx.fresh();
      const id = idOf(rep);
      const token = `race-${randomBytes(6).toString("hex")}`;
      const held = cluster.read(path, id, { isolate: 0, gate: token });
      const loaded = await cluster.gateReached(0, token);
      const write = await cluster.write(path, id, { isolate: writer });
      await cluster.gateRelease(0, token);
      samples.push(await held);
      await cluster.settle();
      const acked = write.answer?.version;
      if (acked == null) {
        throw new Error(`race write on ${path} failed: ${write.error ?? "no version"}`);
      }
      if (loaded.version !== null && loaded.version < acked) {
        heldLoadedOld += 1;
      }
      let stale = 0;
      for (let i = 0; i < cluster.isolates; i++) {
        for (let r = 0; r < READS_AFTER_PER_ISOLATE; r++) {
          const after = await cluster.read(path, id, { isolate: i });
          samples.push(after);
          if ((after.answer?.version ?? -1) < acked) {
            stale += 1;
          }
        }
      }
      staleReadsAfter += stale;
      staleFills += stale > 0 ? 1 : 0;
    }
    return {
      races: reps,
      heldLoadedOld,
      staleFills,
      staleReadsAfter,
      readsAfter: reps * cluster.isolates * READS_AFTER_PER_ISOLATE,
      errors: errorCount(samples),
    };
  },
};
