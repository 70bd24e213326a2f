import { describe, expect, it } from "vitest";
import { analyze, type FinalState } from "../../check/consistency/analyzer";
import type { Op, OpKind } from "../../check/consistency/history";

// Synthetic histories: times in ms (converted to ns), one key unless stated.
const CREATED = 1_700_000_000_000;
const RECREATED = CREATED + 5_000;

type Spec = {
  proc?: string;
  key?: string;
  op: OpKind;
  at: [number, number];
  status?: Op["status"];
  version: number | null;
  createdAt?: number | null;
};

function history(...specs: Spec[]): Op[] {
  return specs.map((s, id) => ({
    id,
    proc: s.proc ?? (s.op === "read" ? "reader-0" : "writer-0"),
    key: s.key ?? "k",
    op: s.op,
    tInvoke: s.at[0] * 1e6,
    tComplete: s.at[1] * 1e6,
    status: s.status ?? "ok",
    version: s.version,
    createdAt: s.createdAt === undefined ? (s.version === null ? null : CREATED) : s.createdAt,
    httpStatus: 200,
    target: "t",
  }));
}

const present = (version: number, createdAt = CREATED): FinalState => ({
  present: true,
  version,
  createdAt,
});
const finals = (state: FinalState, key = "k") => new Map([[key, state]]);
const kinds = (ops: Op[], final: FinalState) =>
  analyze(ops, finals(final)).examples.map((v) => v.kind);

describe("the consistency analyzer", () => {
  it("flags a read that returns an older version after a write was acknowledged", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 30], version: 2 },
      { op: "read", at: [40, 45], version: 1 },
    );
    const result = analyze(ops, finals(present(2)));
    expect(result.counts.stale).toBe(1);
    expect(result.examples[0]).toMatchObject({ kind: "stale", observed: "v1@1", expected: "v2@1" });
    expect(result.examples[0]?.lagMs).toBe(10);
  });

  it("does not flag an old version read concurrently with the write", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 30], version: 2 },
      // Invoked before the write was acknowledged: either version is allowed.
      { op: "read", at: [25, 45], version: 1 },
      { op: "read", at: [26, 46], version: 2, proc: "reader-1" },
    );
    expect(kinds(ops, present(2))).toEqual([]);
  });

  it("flags a version that no write invoked before the read's completion produced", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "read", at: [20, 25], version: 7 },
      // Produced later: still impossible for a read that completed before it was even invoked.
      { op: "put", at: [30, 40], version: 2 },
      { op: "read", at: [26, 29], version: 2, proc: "reader-1" },
    );
    expect(kinds(ops, present(2))).toEqual(["impossible", "impossible"]);
  });

  it("accepts a version produced by a write whose outcome is unknown", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "patch", at: [20, 5000], status: "info", version: null },
      { op: "read", at: [30, 35], version: 2 },
    );
    expect(kinds(ops, present(2))).toEqual([]);
  });

  it("flags an acknowledged write that Postgres no longer holds", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "patch", at: [20, 30], version: 2 },
    );
    expect(kinds(ops, present(1))).toEqual(["lost"]);
    expect(kinds(ops, present(2))).toEqual([]);
  });

  it("treats a 404 after an acknowledged delete as fine and an older version after it as stale", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1, proc: "churn" },
      { op: "delete", at: [20, 30], version: -1, proc: "churn" },
      { op: "read", at: [40, 45], version: -1 },
      { op: "read", at: [50, 55], version: 1, proc: "reader-1" },
    );
    const result = analyze(ops, finals({ present: false }));
    expect(result.examples.map((v) => [v.kind, v.observed, v.expected])).toEqual([
      ["stale", "v1@1", "absent@1"],
    ]);
  });

  it("treats a 404 while the create is not yet acknowledged as fine, and after it as stale", () => {
    const ops = history(
      { op: "read", at: [0, 5], version: -1, createdAt: null },
      { op: "put", at: [10, 30], version: 1, proc: "churn" },
      { op: "read", at: [15, 20], version: -1, createdAt: null, proc: "reader-1" },
      { op: "read", at: [40, 45], version: -1, createdAt: null, proc: "reader-2" },
    );
    const result = analyze(ops, finals(present(1)));
    expect(result.examples.map((v) => [v.kind, v.opId])).toEqual([["stale", 3]]);
  });

  it("orders states by incarnation: version 1 of a re-creation is newer than version 3 before it", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 3, proc: "churn" },
      { op: "delete", at: [20, 30], version: -1, proc: "churn" },
      { op: "put", at: [40, 50], version: 1, createdAt: RECREATED, proc: "churn" },
      { op: "read", at: [60, 65], version: 1, createdAt: RECREATED },
      // The old incarnation's version 3 after the re-creation was acknowledged: stale, although 3 > 1.
      { op: "read", at: [70, 75], version: 3, proc: "reader-1" },
      // A 404 after the re-creation: stale too (the tombstone precedes the new incarnation).
      { op: "read", at: [80, 85], version: -1, createdAt: null, proc: "reader-2" },
    );
    const result = analyze(ops, finals(present(1, RECREATED)));
    expect(result.examples.map((v) => [v.kind, v.observed, v.expected])).toEqual([
      ["stale", "v3@1", "v1@2"],
      ["stale", "absent@1", "v1@2"],
    ]);
  });

  it("flags a lost re-creation when Postgres ends with the key absent and no delete followed it", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1, proc: "churn" },
      { op: "delete", at: [20, 30], version: -1, proc: "churn" },
      { op: "put", at: [40, 50], version: 1, createdAt: RECREATED, proc: "churn" },
    );
    expect(kinds(ops, { present: false })).toEqual(["lost"]);
  });

  it("flags a client that sees a key go backwards, even when neither read is stale", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 100], version: 2 },
      { op: "read", at: [30, 40], version: 2 },
      { op: "read", at: [50, 60], version: 1 },
    );
    expect(kinds(ops, present(2))).toEqual(["monotonic"]);
  });

  it("matches Postgres' createdAt to the API's within a couple of milliseconds", () => {
    const ops = history({ op: "put", at: [0, 10], version: 4 });
    expect(kinds(ops, present(4, CREATED + 1))).toEqual([]);
    expect(kinds(ops, present(3, CREATED + 1))).toEqual(["lost"]);
  });

  it("counts operations by kind and outcome", () => {
    const ops = history(
      { op: "put", at: [0, 10], version: 1 },
      { op: "put", at: [20, 30], status: "info", version: null },
      { op: "read", at: [40, 50], status: "fail", version: null },
      { op: "read", at: [40, 50], version: 1, proc: "reader-1" },
    );
    expect(analyze(ops, finals(present(1))).counts).toMatchObject({
      ops: 4,
      reads: 2,
      okReads: 1,
      writes: 2,
      okWrites: 1,
      infoWrites: 1,
      failed: 1,
    });
  });
});

describe("the consistency analyzer on pages and reviews", () => {
  const page = (
    at: [number, number],
    items: { id: string; version: number; ratingCount?: number; createdAt?: number }[],
    opts: { afterId?: string; hasMore?: boolean; proc?: string } = {},
  ): Spec & { page: Op["page"] } => ({
    op: "page",
    key: "page:5:a",
    at,
    version: null,
    proc: opts.proc ?? "pages-0",
    page: {
      limit: 5,
      afterId: opts.afterId ?? "a",
      hasMore: opts.hasMore ?? false,
      items: items.map((i) => ({
        id: i.id,
        version: i.version,
        createdAt: i.createdAt ?? CREATED,
        ratingCount: i.ratingCount ?? 0,
      })),
    },
  });
  const withExtras = (specs: (Spec & Partial<Op>)[]): Op[] =>
    history(...specs).map((op, i) => {
      const { page, reviewList, review, ratingCount } = specs[i] ?? {};
      return {
        ...op,
        ...(page === undefined ? {} : { page }),
        ...(reviewList === undefined ? {} : { reviewList }),
        ...(review === undefined ? {} : { review }),
        ...(ratingCount === undefined ? {} : { ratingCount }),
      };
    });
  const twoKeys = new Map<string, FinalState>([
    ["k1", present(2)],
    ["k2", present(1)],
  ]);

  it("flags a page that shows a product at a version older than one acknowledged before it", () => {
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1 },
      { op: "put", key: "k2", at: [0, 10], version: 1 },
      { op: "put", key: "k1", at: [20, 30], version: 2 },
      page(
        [40, 50],
        [
          { id: "k1", version: 1 },
          { id: "k2", version: 1 },
        ],
      ),
      page(
        [25, 50],
        [
          { id: "k1", version: 1 },
          { id: "k2", version: 1 },
        ],
      ),
    ]);
    const result = analyze(ops, twoKeys);
    expect(result.byClass.page.stale).toBe(1);
    expect(result.examples[0]).toMatchObject({ kind: "stale", cls: "page", key: "k1", opId: 3 });
  });

  it("flags a page that lacks a product created before it began, inside its id range only", () => {
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1 },
      { op: "put", key: "k2", at: [20, 30], version: 1 },
      // k2 is inside the range of a page that is not full: stale.
      page([40, 50], [{ id: "k1", version: 1 }]),
      // A full page that ends at k1 says nothing about k2.
      page([40, 50], [{ id: "k1", version: 1 }], { hasMore: true, proc: "pages-1" }),
      // A page after k1 starts past it.
      page([40, 50], [{ id: "k2", version: 1 }], { afterId: "k1", proc: "pages-2" }),
    ]);
    const result = analyze(ops, new Map([...twoKeys, ["k1", present(1)]]));
    expect(result.examples.map((v) => [v.kind, v.opId, v.key, v.observed])).toEqual([
      ["stale", 2, "k2", "absent@0"],
    ]);
  });

  it("flags a page that still shows a product whose delete was acknowledged before it", () => {
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1, proc: "churn" },
      { op: "delete", key: "k1", at: [20, 30], version: -1, proc: "churn" },
      page([25, 35], [{ id: "k1", version: 1 }]),
      page([40, 50], [{ id: "k1", version: 1 }], { proc: "pages-1" }),
      page([40, 50], [], { proc: "pages-2" }),
    ]);
    const result = analyze(ops, new Map([["k1", { present: false }]]));
    expect(result.examples.map((v) => [v.kind, v.opId, v.expected])).toEqual([
      ["stale", 3, "absent@1"],
    ]);
  });

  it("flags a product or a page whose rating.count lacks a review acknowledged before the read", () => {
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1 },
      { op: "review", key: "k1", at: [20, 30], version: null, review: { id: "r1", createdAt: 1 } },
      { op: "read", key: "k1", at: [25, 35], version: 1, ratingCount: 0 },
      { op: "read", key: "k1", at: [40, 45], version: 1, ratingCount: 0, proc: "reader-1" },
      page([40, 50], [{ id: "k1", version: 1, ratingCount: 0 }]),
      { op: "read", key: "k1", at: [40, 45], version: 1, ratingCount: 1, proc: "reader-2" },
    ]);
    const result = analyze(ops, new Map([["k1", { ...present(1), reviewCount: 1 }]]));
    expect(result.examples.map((v) => [v.kind, v.cls, v.opId])).toEqual([
      ["stale", "product", 3],
      ["stale", "page", 4],
    ]);
  });

  it("flags a review list whose count or items lack a review acknowledged before the read", () => {
    const review = (id: string, at: [number, number], createdAt: number): Spec & Partial<Op> => ({
      op: "review",
      key: "k1",
      at,
      version: null,
      review: { id, createdAt },
    });
    const list = (at: [number, number], ids: string[], count: number, proc: string) => ({
      op: "reviews" as const,
      key: "k1",
      at,
      version: null,
      proc,
      reviewList: { count, ids, oldestCreatedAt: ids.length > 0 ? 1 : null },
    });
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1 },
      review("r1", [20, 30], 1),
      review("r2", [40, 50], 2),
      list([45, 55], ["r1"], 1, "lists-0"),
      list([60, 65], ["r1"], 1, "lists-1"),
      list([60, 65], ["r3", "r1"], 2, "lists-2"),
      list([60, 65], ["r2", "r1"], 2, "lists-3"),
    ]);
    const result = analyze(ops, new Map([["k1", { ...present(1), reviewCount: 2 }]]));
    expect(result.examples.filter((v) => v.kind === "stale").map((v) => v.opId)).toEqual([4, 5]);
    expect(result.byClass.reviews.stale).toBe(2);
  });

  it("accepts a full review list that leaves out an older review, and flags lost reviews", () => {
    const reviews = Array.from({ length: 51 }, (_, i) => ({
      op: "review" as const,
      key: "k1",
      at: [20 + i, 21 + i] as [number, number],
      version: null,
      review: { id: `r${i}`, createdAt: 100 + i },
    }));
    const newest = reviews.slice(1).map((r) => r.review.id);
    const ops = withExtras([
      { op: "put", key: "k1", at: [0, 10], version: 1 },
      ...reviews,
      {
        op: "reviews",
        key: "k1",
        at: [100, 110],
        version: null,
        proc: "lists-0",
        reviewList: { count: 51, ids: newest.reverse(), oldestCreatedAt: 101 },
      },
    ]);
    expect(analyze(ops, new Map([["k1", { ...present(1), reviewCount: 51 }]])).examples).toEqual(
      [],
    );
    const lost = analyze(ops, new Map([["k1", { ...present(1), reviewCount: 50 }]]));
    expect(lost.examples.map((v) => [v.kind, v.cls])).toEqual([["lost", "reviews"]]);
  });
});
