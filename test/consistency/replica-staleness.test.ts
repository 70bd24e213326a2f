import { describe, expect, it } from "vitest";
import type { BookmarkedState, Op, OpKind } from "../../check/consistency/history";
import type { LagChange } from "../../check/replicas/lag-nemesis";
import {
  analyzeReplicas,
  maxRedisLagDuring,
  readStalenesses,
  stalenessBoundMs,
} from "../../check/replicas/staleness";

// Synthetic histories: times in ms (converted to ns), one key unless stated.
const CREATED = 1_700_000_000_000;
const RECREATED = CREATED + 5_000;

type Spec = {
  proc?: string;
  op: OpKind;
  at: [number, number];
  version: number | null;
  createdAt?: number | null;
  xCache?: string;
  bookmark?: BookmarkedState;
};

function history(...specs: Spec[]): Op[] {
  return specs.map((s, id) => ({
    id,
    proc: s.proc ?? (s.op === "read" ? "reader-0" : "writer-0"),
    key: "k",
    op: s.op,
    tInvoke: s.at[0] * 1e6,
    tComplete: s.at[1] * 1e6,
    status: "ok",
    version: s.version,
    createdAt: s.createdAt === undefined ? (s.version === -1 ? null : CREATED) : s.createdAt,
    httpStatus: 200,
    target: "t",
    ...(s.xCache === undefined ? {} : { xCache: s.xCache }),
    ...(s.bookmark === undefined ? {} : { bookmark: s.bookmark }),
  }));
}

const lag = (atMs: number, redisLagMs: number): LagChange => ({
  t: atMs * 1e6,
  redisLagMs,
  pgLagMs: 0,
});

describe("the replica profile's staleness and its lag bound", () => {
  it("takes the lag in force when the window opens and every lag set inside it", () => {
    const timeline = [lag(0, 100), lag(1000, 400), lag(2000, 50), lag(3000, 450)];
    expect(maxRedisLagDuring(timeline, 1500e6, 2500e6)).toBe(400);
    expect(maxRedisLagDuring(timeline, 2100e6, 2900e6)).toBe(50);
    // A lag set after the window does not count; before the first change the lag is 0.
    expect(maxRedisLagDuring(timeline, 2100e6, 2999e6)).toBe(50);
    expect(maxRedisLagDuring([lag(100, 300)], 0, 50e6)).toBe(0);
  });

  it("bounds a read by the highest lag from 500 ms before the missed write's ack to the read's end, plus 50 ms", () => {
    const timeline = [lag(0, 300), lag(900, 20)];
    // The ack at 1200 ms looks back to 700 ms, when 300 ms was still in force.
    expect(stalenessBoundMs(timeline, 1200e6, 1300e6)).toBe(350);
    // An ack at 1500 ms looks back to 1000 ms: only 20 ms.
    expect(stalenessBoundMs(timeline, 1500e6, 1600e6)).toBe(70);
  });

  it("measures a stale read from the oldest acknowledged write it missed to the read's end", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 100], version: 2 },
      { op: "put", at: [105, 120], version: 3 },
      { op: "read", at: [150, 200], version: 1 },
      { op: "read", at: [150, 210], version: 2 },
      { op: "read", at: [150, 220], version: 3 },
      // Concurrent with the write of v4: either side is fine.
      { op: "put", at: [300, 400], version: 4 },
      { op: "read", at: [310, 320], version: 3 },
    );
    const reads = readStalenesses(ops, [lag(0, 200)]);
    expect(reads.map((r) => [r.opId, r.stale, r.stalenessMs, r.boundMs])).toEqual([
      [3, true, 100, 250],
      [4, true, 90, 250],
      [5, false, undefined, undefined],
      [7, false, undefined, undefined],
    ]);
  });

  it("orders a 404 as the tombstone of the deleted incarnation and a re-creation after it", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "delete", at: [20, 30], version: -1, createdAt: CREATED },
      { op: "read", at: [40, 50], version: -1 },
      { op: "put", at: [60, 70], version: 1, createdAt: RECREATED },
      { op: "read", at: [80, 90], version: -1 },
      { op: "read", at: [80, 95], version: 1, createdAt: CREATED },
    );
    const reads = readStalenesses(ops, []);
    expect(reads.map((r) => [r.opId, r.stale, r.stalenessMs])).toEqual([
      [2, false, undefined],
      // A 404 after the re-creation missed the create (acknowledged at 70 ms).
      [4, true, 20],
      // The first incarnation after its delete missed the delete first (acknowledged at 30 ms).
      [5, true, 65],
    ]);
  });

  it("flags a bookmarked read older than its bookmark, not one that only missed another writer's write", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", proc: "writer-1", at: [20, 30], version: 2 },
      { op: "put", proc: "writer-1", at: [40, 50], version: 3 },
      {
        op: "read",
        proc: "writer-1",
        at: [60, 70],
        version: 2,
        bookmark: { version: 3, createdAt: CREATED },
      },
      { op: "read", at: [60, 80], version: 1, bookmark: { version: 1, createdAt: CREATED } },
    );
    const a = analyzeReplicas({ ops, timeline: [], mode: "nearest" });
    expect(a.bookmarked).toEqual({ reads: 2, stale: 1, monotonic: 0, missedOthers: 1 });
    expect(a.examples.map((e) => [e.kind, e.opId])).toContainEqual(["bookmark-stale", 3]);
  });

  it("counts stale MISS reads and keys that never converged as stale fills", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 30], version: 2 },
      { op: "read", at: [40, 50], version: 1, xCache: "MISS" },
      { op: "read", at: [40, 55], version: 1, xCache: "HIT" },
      { op: "read", at: [40, 60], version: 2, xCache: "MISS" },
    );
    const a = analyzeReplicas({ ops, timeline: [], mode: "strong", neverConverged: ["k"] });
    expect(a.staleFills).toEqual({
      staleMisses: 1,
      bookmarkedStaleMisses: 0,
      neverConverged: ["k"],
      total: 2,
    });
  });

  it("passes unbookmarked nearest reads while at most 1% of the stale ones exceed their bound", () => {
    const specs: Spec[] = [
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 30], version: 2 },
    ];
    // 100 stale reads within the bound (30 ms + lag 100 + 50), then one far past it.
    for (let i = 0; i < 100; i++) {
      specs.push({ op: "read", at: [40, 60 + i], version: 1 });
    }
    specs.push({ op: "read", at: [40, 400], version: 1 });
    const timeline = [lag(0, 100)];
    const one = analyzeReplicas({ ops: history(...specs), timeline, mode: "nearest" });
    expect([
      one.unbookmarked.stale,
      one.unbookmarked.overBound,
      one.unbookmarked.withinBound,
    ]).toEqual([101, 1, true]);
    expect(one.unbookmarked.stalenessMs.max).toBe(370);
    specs.push({ op: "read", at: [40, 401], version: 1 });
    const two = analyzeReplicas({ ops: history(...specs), timeline, mode: "nearest" });
    expect([two.unbookmarked.overBound, two.unbookmarked.withinBound]).toEqual([2, false]);
  });

  it("sees a bookmarked process go backwards as a monotonic-read violation", () => {
    const bm = { version: 2, createdAt: CREATED };
    const ops = history(
      { op: "put", at: [0, 10], version: 2 },
      { op: "put", proc: "writer-1", at: [12, 14], version: 3 },
      { op: "read", at: [20, 30], version: 3, bookmark: bm },
      { op: "read", at: [40, 50], version: 2, bookmark: bm },
    );
    const a = analyzeReplicas({ ops, timeline: [], mode: "nearest" });
    expect([a.bookmarked.stale, a.bookmarked.monotonic]).toEqual([0, 1]);
  });
});
