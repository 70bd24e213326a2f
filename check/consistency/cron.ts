/**
 * The Cron Trigger during a run: production runs the Worker's `scheduled()` handler (the outbox
 * drain and the replay of recent invalidations) every minute, so a run calls it on the same period,
 * one isolate after the other, for the run to behave like production.
 */
import type { HistoryRecorder } from "./history";

/** Production's Cron period (wrangler.toml `crons = ["* * * * *"]`), ms. */
export const CRON_PERIOD_MS = 60_000;

/** Options of {@link startCron}. */
export type CronOptions = {
  /** Runs the `scheduled` handler in isolate `index`. */
  scheduled(index: number): Promise<void>;
  isolates: number;
  /** @default CRON_PERIOD_MS */
  periodMs?: number;
  recorder: HistoryRecorder;
};

/** What the Cron runs did. */
export type CronReport = {
  periodMs: number;
  runs: number;
  failed: number;
  /** Completion of each run, ns since the history's origin. */
  completedAt: number[];
};

/** A running Cron. */
export type ActiveCron = {
  /** Stops it; waits for a run in progress. */
  stop(): Promise<CronReport>;
};

/** Starts calling `scheduled` every `periodMs` (the first call one period after the start). */
export function startCron(opts: CronOptions): ActiveCron {
  const periodMs = opts.periodMs ?? CRON_PERIOD_MS;
  const report: CronReport = { periodMs, runs: 0, failed: 0, completedAt: [] };
  // Runs may overlap, as Cron invocations of a slow handler do in production.
  const running = new Set<Promise<void>>();
  const tick = () => {
    const index = report.runs % Math.max(1, opts.isolates);
    report.runs += 1;
    const run = opts.scheduled(index).then(
      () => {
        report.completedAt.push(opts.recorder.now());
      },
      () => {
        report.failed += 1;
      },
    );
    running.add(run);
    void run.finally(() => running.delete(run));
  };
  const timer = setInterval(tick, periodMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(running);
      return report;
    },
  };
}
