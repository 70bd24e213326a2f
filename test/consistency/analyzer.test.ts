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
