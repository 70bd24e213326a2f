import { describe, expect, it } from "vitest";
import type { FlaggedRead } from "../../check/consistency/analyzer";
import type { Op } from "../../check/consistency/history";
import { attribute } from "../../check/forgetful/attribution";
import { keyKindOf } from "../../check/forgetful/key-kinds";
import type { FaultEvent } from "../../check/forgetful/nemesis";
import { DEFAULT_SCHEDULE, parseSchedule, ScheduleError } from "../../check/forgetful/schedule";

const ms = (n: number) => n * 1e6;

describe("the forgetful schedule", () => {
  it("reads the default schedule in order, ranged faults with their end", () => {
    const entries = parseSchedule(DEFAULT_SCHEDULE);
    expect(entries.map((e) => e.kind)).toEqual([
      "snapshot",
      "evict-lru",
      "evict-random",
      "delete-keys",
      "flush",
      "restore",
    ]);
    expect(entries[1]).toEqual({ kind: "evict-lru", from: 0.1, to: 0.22 });
  });

  it.each([
    ["restore@0.5", /needs a snapshot before it/],
    ["snapshot@0.1,evict-lru@0.2-0.5,flush@0.3", /overlaps evict-lru/],
    ["evict-lru@0.2", /needs a range/],
    ["flush@0.2-0.3", /happens at one point/],
    ["melt@0.2", /unknown fault "melt"/],
    ["flush@1.5", /fractions of the duration/],
    ["flush", /kind@from/],
  ])("refuses %s", (text, message) => {
    expect(() => parseSchedule(text)).toThrow(ScheduleError);
    expect(() => parseSchedule(text)).toThrow(message);
  });
});

describe("the kind of a key, by its shape", () => {
  it.each([
    ["p:product:x:lock", "lock"],
    ["p:product:x:rev", "marker"],
    ["p:group:product-pages", "group"],
    ["p:watermark", "watermark"],
    ["p:products-page:5:^", "value"],
  ])("%s is a %s", (key, kind) => {
    expect(keyKindOf(key)).toBe(kind);
  });
});

describe("attributing flagged reads to faults", () => {
  const events: FaultEvent[] = [
    { fault: "evict-lru", tStart: ms(100), tEnd: ms(200) },
    { fault: "flush", tStart: ms(300), tEnd: ms(301) },
    { fault: "restore", tStart: ms(400), tEnd: ms(500) },
  ];
  const read = (kind: FlaggedRead["kind"], at: number, cls: FlaggedRead["cls"] = "product") => ({
    kind,
    cls,
    opId: at,
    tInvoke: ms(at - 5),
    tComplete: ms(at),
  });

  it("gives each read the fault active or last begun when it was answered, and measures the restore's window", () => {
    const flagged: FlaggedRead[] = [
      read("stale", 50),
      read("stale", 150, "page"),
      read("stale", 350, "reviews"),
      // Invoked before the restore began, answered by the Redis that came back.
      { ...read("stale", 450), tInvoke: ms(390) },
      read("stale", 1200),
      read("monotonic", 1200),
      read("stale", 3000),
    ];
    const bypass = { xCache: "BYPASS", tInvoke: ms(420), tComplete: ms(480) } as Op;
    const a = attribute(flagged, [bypass], events, 1000);
    expect(Object.keys(a.perFault).sort()).toEqual(["evict-lru", "flush", "none", "restore"]);
    expect(a.perFault["evict-lru"]?.stale.page).toBe(1);
    expect(a.perFault.flush?.stale.reviews).toBe(1);
    expect(a.perFault.restore).toMatchObject({ stale: { product: 3 }, monotonic: 1, bypass: 1 });
    expect(a.restores).toEqual([
      { returnedAtMs: 500, staleReads: 3, lastStaleAtMs: 3000, windowMs: 2500 },
    ]);
    // Within 1000 ms of the return: the reads at 450 and 1200 (stale and monotonic).
    expect([a.excused, a.unexcused]).toEqual([3, 4]);
  });
});
