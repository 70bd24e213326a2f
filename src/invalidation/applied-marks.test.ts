import { describe, expect, it } from "vitest";
import { AppliedMarks, type BatchOutcome, type Schedule } from "./applied-marks";

/** A clock and timers that move only when the test says so. */
function manualTime() {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  const schedule: Schedule = (ms, fn) => {
    const timer = { at: now + ms, fn, cancelled: false };
    timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };
  const advance = async (ms: number) => {
    now += ms;
    for (const timer of timers.filter((t) => !t.cancelled && t.at <= now)) {
      timer.cancelled = true;
      timer.fn();
    }
    // Let the batch's continuation (its UPDATE and what follows) run.
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
  };
  const pending = () => timers.filter((t) => !t.cancelled).length;
  return { schedule, now: () => now, advance, pending };
}

function recordingUpdate(fail = false) {
  const calls: number[][] = [];
  const markRows = async (ids: readonly number[]) => {
    calls.push([...ids]);
    if (fail) {
      throw new Error("database unavailable");
    }
  };
  return { calls, markRows };
}

/** Marks that linger 20 ms on manual time, writing through a recording UPDATE. */
function lingeringMarks(fail = false) {
  const time = manualTime();
  const marks = new AppliedMarks({ lingerMs: 20, schedule: time.schedule, now: time.now });
  return { time, marks, update: recordingUpdate(fail) };
}

describe("AppliedMarks", () => {
  it("marks the rows of writes that arrive within the linger time with one UPDATE", async () => {
    const { time, marks, update } = lingeringMarks();

    const first = marks.mark(1, update.markRows);
    await time.advance(5);
    const second = marks.mark(2, update.markRows);
    await time.advance(10);
    const third = marks.mark(3, update.markRows);
    expect(update.calls).toEqual([]);

    await time.advance(5);
    const outcomes = await Promise.all([first, second, third]);

    expect(update.calls).toEqual([[1, 2, 3]]);
    expect(outcomes).toEqual([{ ids: [1, 2, 3] }, { ids: [1, 2, 3] }, { ids: [1, 2, 3] }]);
    // The joiners' deadlines were cancelled once the batch was done.
    expect(time.pending()).toBe(0);
  });

  it("opens a new batch for a write that arrives after the linger time", async () => {
    const { time, marks, update } = lingeringMarks();

    const first = marks.mark(1, update.markRows);
    await time.advance(20);
    await first;
    const second = marks.mark(2, update.markRows);
    await time.advance(20);
    await second;

    expect(update.calls).toEqual([[1], [2]]);
  });

  it("reports a failed UPDATE to every member without rejecting, so the rows are left to the drain", async () => {
    const { time, marks, update } = lingeringMarks(true);

    const first = marks.mark(1, update.markRows);
    const second = marks.mark(2, update.markRows);
    await time.advance(20);
    const outcomes: (BatchOutcome | undefined)[] = await Promise.all([first, second]);

    expect(outcomes.map((o) => [o?.ids, (o?.error as Error | undefined)?.message])).toEqual([
      [[1, 2], "database unavailable"],
      [[1, 2], "database unavailable"],
    ]);
  });

  it("stops a batch whose context was torn down from taking rows after its linger, and lets its joiners go at their deadline", async () => {
    const time = manualTime();
    let tornDown = true;
    // The opener's context is gone: its linger timer never fires, so its UPDATE never runs.
    const schedule: Schedule = (ms, fn) => {
      if (tornDown) {
        tornDown = false;
        return () => {};
      }
      return time.schedule(ms, fn);
    };
    const marks = new AppliedMarks({ lingerMs: 20, waitMs: 1000, schedule, now: time.now });
    const update = recordingUpdate();

    void marks.mark(1, update.markRows);
    const joiner = marks.mark(2, update.markRows);
    await time.advance(21);
    const later = marks.mark(3, update.markRows);
    await time.advance(20);
    expect(await later).toEqual({ ids: [3] });

    await time.advance(1000);
    expect(await joiner).toBeUndefined();
    expect(update.calls).toEqual([[3]]);
  });
});
