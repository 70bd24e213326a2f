/** The markdown tables: printed on stdout by the bench and rendered into `docs/benchmarks.md`. */
import { FLOOR_LABELS } from "../lib/dispatch-floor";
import { ratio } from "../lib/summary";
import type { TopologyResult } from "../scenarios/topology";
import { columnLabel, type PathInfo } from "./paths";
import type { BenchResults, TargetCheck } from "./results";

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
  const paths = results.paths;
  const blanks = paths.map(() => "").join(" | ");
  const lines = [
    `| Scenario · metric | ${paths.map(columnLabel).join(" | ")} | core ÷ naive |`,
    `|---|${paths.map(() => "--:").join("|")}|--:|`,
  ];
  for (const scenario of results.scenarios) {
    lines.push(`| **${scenario.title}** | ${blanks} | |`);
    for (const row of scenario.rows) {
      const digits = row.digits ?? 1;
      const values = paths.map((p) => scenario.metrics[p.id]?.[row.key]);
      const naive = scenario.metrics.naive?.[row.key];
      const core = scenario.metrics.core?.[row.key];
      lines.push(
        `| ${row.label} | ${values.map((v) => cell(v, digits)).join(" | ")} | ${row.ratio === true ? ratioCell(core, naive) : ""} |`,
      );
    }
  }
  return lines.join("\n");
}

/** The paths other than core, whose value of each target's measure the targets table shows. */
function peerPaths(results: BenchResults): PathInfo[] {
  return results.paths.filter((p) => p.id !== "core");
}

/** The targets table: core's measure, met or missed, and the same measure for the other paths. */
export function targetsTable(results: BenchResults): string {
  const mark = (met: boolean | null) =>
    met === null ? "not measured" : met ? "met" : "**missed**";
  const others = peerPaths(results);
  const tail = (cells: readonly string[]) => cells.map((c) => ` ${c} |`).join("");
  const row = (t: TargetCheck) =>
    `| ${t.target} | ${t.measured} | ${mark(t.met)} |${tail(others.map((p) => t.others?.[p.id] ?? ""))}`;
  return [
    `| Target (core) | core, measured | |${tail(others.map(columnLabel))}`,
    `|---|---|---|${others.map(() => "---|").join("")}`,
    ...results.targets.map(row),
  ].join("\n");
}

/** The topology table: one column per variant. */
export function topologyTable(t: TopologyResult): string {
  const lines = [
    `| **${t.title}** | ${t.variants.map((v) => v.label).join(" | ")} |`,
    `|---|${t.variants.map(() => "--:").join("|")}|`,
  ];
  for (const row of t.rows) {
    const values = t.variants.map((v) => cell(t.metrics[v.id]?.[row.key], row.digits ?? 1));
    lines.push(`| ${row.label} | ${values.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The topology's targets (core `nearest`), with the other variants' measures. */
export function topologyTargetsTable(t: TopologyResult): string {
  const mark = (met: boolean | null) =>
    met === null ? "not measured" : met ? "met" : "**missed**";
  const others = t.variants.filter((v) => v.id !== "core-nearest");
  return [
    `| Target (topology, core nearest) | measured | | ${others.map((v) => v.label).join(" | ")} |`,
    `|---|---|---|${others.map(() => "---").join("|")}|`,
    ...t.targets.map(
      (x) =>
        `| ${x.target} | ${x.measured} | ${mark(x.met)} | ${others.map((v) => x.others?.[v.id] ?? "").join(" | ")} |`,
    ),
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
    ...(results.nodeNote === undefined ? [] : [results.nodeNote]),
    `workerd dispatch overhead p50 ${cell(s.dispatchOverheadP50Ms, 1)} ms (straight to the Worker's socket; included in end-to-end times)`,
    `naive retries capped at ${s.naiveMaxTries} tries`,
    `run took ${results.durationSeconds.toFixed(0)} s`,
  ].join(" · ");
}

/** The floors, one clause each (empty when not measured). */
export function floorParagraph(results: BenchResults): string {
  const floors = results.floors ?? [];
  if (floors.length === 0) {
    return "";
  }
  const each = floors.map((f) => {
    const mix = f.kind === "mix";
    const rate = `${f.requestsPerSecond.toFixed(0)} ${mix ? "operations" : "requests"} / s`;
    const failed = f.errors > 0 ? `, ${f.errors} failed` : "";
    return `${FLOOR_LABELS[f.kind]}, ${f.clients} clients: ${mix ? "read " : ""}p50 ${cell(f.p50Ms, 1)} ms, p99 ${cell(f.p99Ms, 1)} ms, ${rate}${failed}`;
  });
  return [
    "**Floors** (closed loops on the same isolates of requests that make no outbound call,",
    "`GET /stats`, or exactly one Upstash REST `GET` with a plain `fetch`, and the mix's operations",
    "with those `GET`s as its reads and the no-cache path's `UPDATE` as its writes; see",
    `[Reading the numbers](#reading-the-numbers)): ${each.join("; ")}. No read path answers that`,
    "many clients faster than the first on this machine, none that makes a Redis round trip per",
    "read faster than the second, and no cache whose reads make a Redis round trip and whose writes",
    "include that `UPDATE` gets more operations per second out of the mix than the third.",
  ].join(" ");
}
