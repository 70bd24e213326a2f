/** The markdown tables: printed on stdout by the bench and rendered into `docs/benchmarks.md`. */
import { ratio } from "../lib/summary";
import type { BenchPath } from "../protocol";
import type { BenchResults, TargetCheck } from "./results";

const PATHS: readonly BenchPath[] = ["nocache", "naive", "core"];

function cell(value: number | null | undefined, digits: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return "—";
  }
  return value.toFixed(digits);
}

function ratioCell(core: number | null | undefined, naive: number | null | undefined): string {
  const r = ratio(core ?? null, naive ?? null);
  if (r === null) {
    return core === 0 && naive !== 0 && naive !== null && naive !== undefined ? "0×" : "—";
  }
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

/** The results table: one bold line per scenario, then one line per metric. */
export function resultsTable(results: BenchResults): string {
  const lines = [
    "| Scenario · metric | no cache | naive | core | core ÷ naive |",
    "|---|--:|--:|--:|--:|",
  ];
  for (const scenario of results.scenarios) {
    lines.push(`| **${scenario.title}** | | | | |`);
    for (const row of scenario.rows) {
      const digits = row.digits ?? 1;
      const values = PATHS.map((p) => scenario.metrics[p][row.key]);
      const [, naive, core] = values;
      lines.push(
        `| ${row.label} | ${values.map((v) => cell(v, digits)).join(" | ")} | ${row.ratio === true ? ratioCell(core, naive) : ""} |`,
      );
    }
  }
  return lines.join("\n");
}

/** The targets table. */
export function targetsTable(targets: readonly TargetCheck[]): string {
  const mark = (met: boolean | null) =>
    met === null ? "not measured" : met ? "met" : "**missed**";
  return [
    "| Target (core) | Measured | |",
    "|---|---|---|",
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${mark(t.met)} |`),
  ].join("\n");
}

/** One paragraph of run facts. */
export function factsLine(results: BenchResults): string {
  const m = results.machine;
  const s = results.settings;
  return [
    `${results.date.slice(0, 16).replace("T", " ")} UTC`,
    `Node ${m.node}, ${m.cpus} CPUs (${m.cpuModel})`,
    `load average ${m.loadAverage.before.map((l) => l.toFixed(2)).join(" ")} before, ${m.loadAverage.after.map((l) => l.toFixed(2)).join(" ")} after`,
    `injected round trips: Redis ${s.redisMs} ms, Postgres ${s.dbMs} ms${s.redisJitterMs || s.dbJitterMs ? ` (+ jitter up to ${s.redisJitterMs} / ${s.dbJitterMs} ms)` : ""}`,
    `${s.isolates} isolates${s.quick ? ", quick run" : ""}`,
    `Miniflare dispatch overhead p50 ${cell(s.dispatchOverheadP50Ms, 1)} ms (included in end-to-end times)`,
    `naive retries capped at ${s.naiveMaxTries} tries`,
    `run took ${results.durationSeconds.toFixed(0)} s`,
  ].join(" · ");
}
