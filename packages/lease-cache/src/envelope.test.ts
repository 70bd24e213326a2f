import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry } from "./envelope.js";
import { waitSchedule } from "./wait-schedule.js";

describe("envelope", () => {
  it("round-trips a value, a null value and an absence distinctly", () => {
    for (const loaded of [
      { found: true, value: { a: 1 } },
      { found: true, value: null },
      { found: false },
    ] as const) {
      expect(decodeEntry(encodeEntry({ filledAt: 5, loaded }, "0", 0))).toEqual({
        filledAt: 5,
        loaded,
      });
    }
  });

  it("rejects foreign or damaged entries", () => {
    for (const raw of [
      "null",
      "",
      "ca1|0|x|{}",
      "ca1|0|0|{",
      "ca1|0|0|[]",
      'ca1|0|0|{"v":1}',
      'ca1|0|0|{"t":1}',
      'ca1|0|0|{"t":1,"a":1,"v":2}',
    ]) {
      expect(decodeEntry(raw)).toBeUndefined();
    }
  });

  it("keeps the generation and stale window in a header the scripts can read", () => {
    expect(encodeEntry({ filledAt: 1, loaded: { found: false } }, "7", 60_000)).toMatch(
      /^ca1\|7\|60000\|/,
    );
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
