/**
 * Flash sale: one product, 200 concurrent readers in a closed loop, and a writer lowering its `stock`
 * by one 50 times a second (open loop: a write starts on every 20 ms slot, up to 10 in flight)
 * through the path's own write code, for 10 s (4 s with `--quick`). Reports read
 * p50/p99, stale reads (a read invoked after a write was acknowledged that shows an older version),
 * and Postgres queries started by reads per write. Targets for core: read p50 ≤ 1.5× the hit p50 of
 * the same run, ≤ 1 Postgres read per write, 0 stale.
 */
import type { ReadSample, WriteSample } from "../lib/cluster";
import { staleReads } from "../lib/staleness";
import { percentile } from "../lib/summary";
import {
  concurrentClients,
  errorCount,
  hitBreakdown,
  latencyMetrics,
  type Scenario,
  statusCounts,
} from "./scenario";

/** Concurrent readers. */
export const FLASH_READERS = 200;
/** Writes per second the writer aims at. */
export const FLASH_WRITES_PER_SECOND = 50;
const ID = "flash-1";
/** The stock the sale counts down from (far above the writes of one run). */
const START_STOCK = 1_000_000;
const durationMs = (quick: boolean) => (quick ? 4000 : 10_000);
/** Writes the writer lets overlap before it skips a slot. */
const MAX_WRITES_IN_FLIGHT = 10;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** See the module comment. */
export const flashSale: Scenario = {
  id: "flash",
  title: `Flash sale (one product, ${FLASH_READERS} readers, stock decremented ${FLASH_WRITES_PER_SECOND}× / s)`,
  description: `${FLASH_READERS} concurrent readers of one product while one writer sets its stock one lower every ${1000 / FLASH_WRITES_PER_SECOND} ms through the path's write code.`,
  cluster: "default",
  rows: [
    { key: "p50", label: "read p50 ms", ratio: true },
    { key: "p99", label: "read p99 ms", ratio: true },
    { key: "readsPerSecond", label: "reads / s", ratio: true, digits: 0 },
    { key: "writesPerSecond", label: "writes / s (target 50)", digits: 1 },
    { key: "writeP50", label: "write p50 ms", ratio: true },
    { key: "pgReadsPerWrite", label: "Postgres queries by reads / write", ratio: true, digits: 2 },
    { key: "staleReads", label: "stale reads", digits: 0 },
    {
      key: "bypassed",
      label: "reads answered without Redis (core: timeout or breaker open)",
      digits: 0,
    },
    { key: "errors", label: "errors", digits: 0 },
  ],
  seedIds: () => [ID],
  async run(ctx, path) {
    await ctx.fresh();
    const { cluster } = ctx;
    // Every isolate has read the product once and is quiet: the sale starts on a warm key.
    for (let i = 0; i < cluster.isolates; i++) {
      await cluster.read(path, ID, { isolate: i });
    }
    await cluster.settle();
    await cluster.resetStats();
    const duration = durationMs(ctx.options.quick);
    const reads: ReadSample[] = [];
    const writes: WriteSample[] = [];
    const started = performance.now();
    const slotMs = 1000 / FLASH_WRITES_PER_SECOND;
    let skippedSlots = 0;
    const writer = (async () => {
      // Open loop: a write starts on every slot whether or not the previous one is done (at most
      // MAX_WRITES_IN_FLIGHT at once; a slot that finds them all busy is skipped and counted).
      const inFlight = new Set<Promise<void>>();
      for (let k = 0; ; k++) {
        const slot = started + k * slotMs;
        if (slot - started >= duration) {
          break;
        }
        const wait = slot - performance.now();
        if (wait > 0) {
          await sleep(wait);
        }
        if (inFlight.size >= MAX_WRITES_IN_FLIGHT) {
          skippedSlots += 1;
          continue;
        }
        const write = cluster
          .write(path, ID, { stock: START_STOCK - 1 - k })
          .then((sample) => {
            writes.push(sample);
          })
          .finally(() => inFlight.delete(write));
        inFlight.add(write);
      }
      await Promise.all(inFlight);
    })();
    let writing = true;
    void writer.finally(() => {
      writing = false;
    });
    await concurrentClients(FLASH_READERS, async () => {
      if (!writing) {
        return false;
      }
      reads.push(await cluster.read(path, ID));
      return true;
    });
    await writer;
    const elapsedMs = performance.now() - started;
    const stats = await cluster.settle();
    const acked = writes.flatMap((w) =>
      w.answer?.version == null
        ? []
        : [{ id: ID, completedAt: w.completedAt, version: w.answer.version }],
    );
    const answered = reads.flatMap((r) =>
      r.answer === undefined ? [] : [{ id: ID, invokedAt: r.invokedAt, version: r.answer.version }],
    );
    const okWrites = acked.length;
    return {
      ...latencyMetrics(reads),
      elapsedMs,
      reads: reads.length,
      writes: writes.length,
      skippedWriteSlots: skippedSlots,
      readsPerSecond: reads.length / (elapsedMs / 1000),
      writesPerSecond: writes.length / (elapsedMs / 1000),
      writeP50: percentile(
        writes.filter((w) => w.answer !== undefined).map((w) => w.latencyMs),
        50,
      ),
      pgReads: stats.byKind.read.postgres,
      pgReadsPerWrite: stats.byKind.read.postgres / Math.max(1, okWrites),
      pgPerWrite: stats.byKind.write.postgres / Math.max(1, okWrites),
      redisPerRead: stats.byKind.read.redis / Math.max(1, reads.length),
      staleReads: staleReads(answered, acked).length,
      errors: errorCount(reads) + errorCount(writes),
      bypassed: reads.filter((r) => r.answer?.status === "bypass").length,
      ...hitBreakdown(reads),
      ...statusCounts(reads),
    };
  },
};
