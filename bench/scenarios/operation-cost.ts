/**
 * What each path's operations cost the machine: closed loops of writes and of reads (cache hits
 * for the caches, the query for no cache), 8 clients, with the CPU of every process on the machine
 * measured around each loop and its background work (`/proc/stat`). On a shared 2-core machine a
 * closed loop's throughput is that CPU: this is what the mix's throughput is made of (90 % reads,
 * 10 % writes), and why a write that keeps the cache's promises (revision, outbox row, the Redis
 * call that applies it) weighs on it.
 *
 * The machine's speed drifts over seconds, so the paths take turns: {@link ROUNDS} rounds, each
 * led by the next path, of one write loop and one read loop per path. Each path has its own
 * products, so one path's writes never touch another's cached rows.
 */
import type { Sample } from "../lib/cluster";
import { machineCpuOf } from "../lib/machine-cpu";
import { BENCH_PATHS, type BenchPath } from "../protocol";
import {
  concurrentClients,
  errorCount,
  type Metrics,
  type PathContext,
  type Scenario,
  type ScenarioContext,
  takeTurns,
} from "./scenario";

const CLIENTS = 8;
const PRODUCTS = 20;
/** Turns per path; each is one write loop and one read loop. */
const ROUNDS = 4;
const idOf = (path: BenchPath, i: number) => `cost-${path}-${i % PRODUCTS}`;
const loopMs = (quick: boolean) => (quick ? 500 : 1500);

/** One path's operations and the machine CPU they took, over its turns. */
type Tally = { ok: number; all: number; cpuMs: number | null; elapsedMs: number };
const emptyTally = (): Tally => ({ ok: 0, all: 0, cpuMs: 0, elapsedMs: 0 });

/** Runs one closed loop of `operation` and adds it, background work included, to `tally`. */
async function closedLoop(
  ctx: ScenarioContext,
  tally: Tally,
  operation: (i: number) => Promise<Sample>,
): Promise<void> {
  const samples: Sample[] = [];
  const durationMs = loopMs(ctx.options.quick);
  let next = 0;
  let elapsedMs = 0;
  const cpuMs = await machineCpuOf(async () => {
    const started = performance.now();
    await concurrentClients(CLIENTS, async () => {
      if (performance.now() - started >= durationMs) {
        return false;
      }
      samples.push(await operation(next++));
      return true;
    });
    elapsedMs = performance.now() - started;
    // Fills, outbox marks and other waitUntil work belong to the operations that started them.
    await ctx.cluster.settle();
  });
  tally.all += samples.length;
  tally.ok += samples.length - errorCount(samples);
  tally.cpuMs = tally.cpuMs === null || cpuMs === null ? null : tally.cpuMs + cpuMs;
  tally.elapsedMs += elapsedMs;
}

/** Reads every product of `path` once per isolate, so the read loop's reads are hits. */
async function warm({ path, ctx }: PathContext): Promise<void> {
  for (let i = 0; i < PRODUCTS; i++) {
    for (let isolate = 0; isolate < ctx.cluster.isolates; isolate++) {
      await ctx.cluster.read(path, idOf(path, i), { isolate });
    }
  }
  await ctx.cluster.settle();
}

/** One turn of a path: a write loop, then (after warming) a read loop. */
async function turn(entry: PathContext, writes: Tally, reads: Tally): Promise<void> {
  const { path, ctx } = entry;
  await closedLoop(ctx, writes, (i) => ctx.cluster.write(path, idOf(path, i)));
  await warm(entry);
  await closedLoop(ctx, reads, (i) => ctx.cluster.read(path, idOf(path, i)));
}

const perOperation = (t: Tally) => (t.cpuMs === null || t.ok === 0 ? null : t.cpuMs / t.ok);
const perSecond = (t: Tally) => (t.elapsedMs === 0 ? null : t.all / (t.elapsedMs / 1000));

/** Measures every path's costs, the paths taking turns. */
async function measureInTurns(paths: readonly PathContext[]): Promise<Metrics[]> {
  // Every fresh() flushes the whole run's keys: once, before any path runs.
  await paths[0]?.ctx.fresh();
  const writes = paths.map(emptyTally);
  const reads = paths.map(emptyTally);
  const rounds = paths[0]?.ctx.options.quick ? 1 : ROUNDS;
  await takeTurns(paths.length, rounds, async (i) => {
    const entry = paths[i];
    const w = writes[i];
    const r = reads[i];
    if (entry !== undefined && w !== undefined && r !== undefined) {
      await turn(entry, w, r);
    }
  });
  return paths.map((_, i) => {
    const w = writes[i] ?? emptyTally();
    const r = reads[i] ?? emptyTally();
    return {
      cpuPerWriteMs: perOperation(w),
      cpuPerReadMs: perOperation(r),
      writesPerSecond: perSecond(w),
      readsPerSecond: perSecond(r),
      writes: w.all,
      reads: r.all,
      errors: w.all - w.ok + (r.all - r.ok),
    };
  });
}

/** See the module comment. */
export const operationCost: Scenario = {
  id: "cost",
  title: `Cost per operation (closed loops of ${CLIENTS} clients, CPU of every process)`,
  description: `Closed loops of ${CLIENTS} clients over ${PRODUCTS} products per path, writes and then reads of cached products, the paths taking turns (${ROUNDS} rounds); the machine's CPU per operation, background work included.`,
  cluster: "default",
  rows: [
    { key: "cpuPerWriteMs", label: "machine CPU per write, ms", ratio: true, digits: 2 },
    {
      key: "cpuPerReadMs",
      label: "machine CPU per read (a hit for the caches), ms",
      ratio: true,
      digits: 2,
    },
    { key: "writesPerSecond", label: "writes / s", ratio: true, digits: 0 },
    { key: "readsPerSecond", label: "reads / s", ratio: true, digits: 0 },
  ],
  seedIds: () =>
    BENCH_PATHS.flatMap((path) => Array.from({ length: PRODUCTS }, (_, i) => idOf(path, i))),
  run: async (ctx, path) => (await measureInTurns([{ path, ctx }]))[0] ?? {},
  runInterleaved: measureInTurns,
};
