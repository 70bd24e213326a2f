import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, encodeTombstone, parseEnvelope } from "./envelope.js";
import { FillTimes } from "./fill-times.js";
import { delaysAround, waitSchedule } from "./wait-schedule.js";

describe("envelope", () => {
  it("round-trips a value, a null value and an absence distinctly", () => {
    for (const loaded of [
      { found: true, value: { a: 1 } },
      { found: true, value: null },
      { found: true, value: undefined },
      { found: false },
    ] as const) {
      expect(
        decodeEntry(encodeEntry({ filledAt: 5, loaded }, { generation: "0", staleWindowMs: 0 })),
      ).toEqual({
        filledAt: 5,
        loaded,
      });
    }
  });

  it("rejects foreign or damaged entries", () => {
    for (const raw of [
      "null",
      "",
      "ca1|0|0|{}",
      "ca2|v|0|x||{}",
      "ca2|x|0|0||{}",
      "ca2|v|0|0|1a|{}",
      "ca2|v|0|0||{",
      "ca2|v|0|0||[]",
      'ca2|v|0|0||{"v":1}',
      'ca2|v|0|0||{"t":1}',
      'ca2|v|0|0||{"t":1,"a":1,"v":2}',
      encodeTombstone(3, 1),
    ]) {
      expect(decodeEntry(raw)).toBeUndefined();
    }
  });

  it("keeps kind, generation, stale window and revision in a header the scripts can read", () => {
    const entry = encodeEntry(
      { filledAt: 1, loaded: { found: false }, rev: 42 },
      { generation: "g7", staleWindowMs: 60_000 },
    );
    expect(entry).toMatch(/^ca2\|v\|g7\|60000\|42\|/);
    expect(decodeEntry(entry)).toEqual({ filledAt: 1, loaded: { found: false }, rev: 42 });
    expect(parseEnvelope(encodeTombstone(9, 2))).toMatchObject({ kind: "t", rev: 9 });
  });
});

describe("wait schedule", () => {
  it("starts short, grows, and stays within its deadline", () => {
    const delays = waitSchedule({ random: () => 0.5 });
    expect(delays[0]).toBe(10);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(800);
  });

  it("never exceeds its poll budget or deadline whatever the jitter", () => {
    for (const r of [0, 0.3, 0.999]) {
      const delays = waitSchedule({ random: () => r, maxPolls: 4, deadlineMs: 200 });
      expect(delays.length).toBeLessThanOrEqual(4);
      expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(200);
    }
  });
});

describe("wait schedule around the expected fill", () => {
  it("packs the polls around this isolate's recent waits, one step apart", () => {
    expect(delaysAround(200, 8)).toEqual([120, 20, 20, 20, 20, 20, 20, 260]);
    const schedule = waitSchedule({ random: () => 0.5, expectedMs: 200 });
    expect(schedule.slice(0, 7)).toEqual([120, 20, 20, 20, 20, 20, 20]);
    expect(schedule.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(800);
  });

  it("keeps the front-loaded base schedule for short or unknown waits", () => {
    const base = waitSchedule({ random: () => 0.5 });
    expect(waitSchedule({ random: () => 0.5, expectedMs: 60 })).toEqual(base);
  });

  it("learns the expected wait as a moving average", () => {
    const times = new FillTimes();
    expect(times.expectedMs).toBeUndefined();
    times.observe(100);
    times.observe(200);
    expect(times.expectedMs).toBe(130);
    times.observe(Number.NaN);
    expect(times.expectedMs).toBe(130);
  });
});
