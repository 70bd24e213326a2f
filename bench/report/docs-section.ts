/**
 * The generated part of `docs/benchmarks.md`: everything between {@link BENCH_SECTION_BEGIN} and
 * {@link BENCH_SECTION_END} is the rendering of `bench/results/latest.json`, rewritten by every
 * full `npm run bench`, by `npm run bench:throughput` and by `npm run bench:report`. Measured
 * numbers are never typed into the docs by hand; the prose around the markers is.
 */
import {
  factsLine,
  floorParagraph,
  resultsTable,
  targetsTable,
  topologyTable,
  topologyTargetsTable,
} from "./markdown";
import type { BenchResults, ThroughputResult } from "./results";

/** The page the section lives in, relative to the repository root. */
export const BENCH_DOCS_PAGE = "docs/benchmarks.md";

/** The line that opens the generated section. */
export const BENCH_SECTION_BEGIN = "<!-- bench:results:begin -->";

/** The line that closes the generated section. */
export const BENCH_SECTION_END = "<!-- bench:results:end -->";

/** Thrown when a page does not hold exactly one well-ordered pair of markers. */
export class BenchSectionError extends Error {
  override name = "BenchSectionError";
}

function throughputParagraph(t: ThroughputResult | undefined): string {
  if (t === undefined) {
    return "**Throughput**: not measured in this run (`npm run bench:throughput` adds it).";
  }
  const when = `${t.date.slice(0, 16).replace("T", " ")} UTC`;
  return [
    `**Throughput** (\`npm run bench:throughput\`, ${when}, ${t.connections} connections,`,
    `${t.durationSeconds} s per round, load average ${t.loadAverage.before.map((l) => l.toFixed(2)).join(" ")} before):`,
    `${t.subject}: **${t.subjectRequestsPerSecond.toFixed(0)} req/s**`,
    `(p50 ${t.subjectLatencyP50Ms.toFixed(1)} ms, p99 ${t.subjectLatencyP99Ms.toFixed(1)} ms) against`,
    `**${t.ceilingRequestsPerSecond.toFixed(0)} req/s** (p50 ${t.ceilingLatencyP50Ms.toFixed(1)} ms,`,
    `p99 ${t.ceilingLatencyP99Ms.toFixed(1)} ms) for the bare one-GET Worker: ratio **${t.ratio.toFixed(2)}**;`,
    `non-2xx answers ${t.non2xx.subject} / ${t.non2xx.ceiling}.`,
  ].join(" ");
}

/** The markdown that goes between the markers for `results` (no markers, no trailing newline). */
export function benchDocsSection(results: BenchResults): string {
  return [
    "<!-- Generated from bench/results/latest.json by bench/report/docs-section.ts: do not edit by hand; run `npm run bench:report`. -->",
    "",
    `Measured ${factsLine(results)}. Raw numbers: [\`bench/results/latest.json\`](../bench/results/latest.json).`,
    "",
    resultsTable(results),
    "",
    "![bench chart: read latency p50/p99 and Postgres queries per 1000 reads, per scenario and path](../bench/results/latest.svg)",
    "",
    targetsTable(results),
    "",
    ...(results.floors === undefined ? [] : [floorParagraph(results), ""]),
    ...(results.topology === undefined
      ? ["**Simulated topology**: not run in this run."]
      : [topologyTable(results.topology), "", topologyTargetsTable(results.topology)]),
    "",
    throughputParagraph(results.throughput),
  ].join("\n");
}

function markerLine(lines: readonly string[], marker: string): number {
  const found = lines.flatMap((line, i) => (line.trim() === marker ? [i] : []));
  if (found.length !== 1) {
    throw new BenchSectionError(
      `${BENCH_DOCS_PAGE} must contain the line ${marker} exactly once (found ${found.length})`,
    );
  }
  return found[0] ?? -1;
}

/** The page's lines and the indexes of its two marker lines (validated). */
function markers(page: string): { lines: string[]; begin: number; end: number } {
  const lines = page.split("\n");
  const begin = markerLine(lines, BENCH_SECTION_BEGIN);
  const end = markerLine(lines, BENCH_SECTION_END);
  if (end < begin) {
    throw new BenchSectionError(`${BENCH_SECTION_END} comes before ${BENCH_SECTION_BEGIN}`);
  }
  return { lines, begin, end };
}

/** The text between the markers of `page`, without the marker lines and surrounding blank lines. */
export function extractBenchSection(page: string): string {
  const { lines, begin, end } = markers(page);
  return lines
    .slice(begin + 1, end)
    .join("\n")
    .trim();
}

/** `page` with the text between its markers replaced by `section`; everything else unchanged. */
export function replaceBenchSection(page: string, section: string): string {
  const { lines, begin, end } = markers(page);
  return [...lines.slice(0, begin + 1), "", section.trim(), "", ...lines.slice(end)].join("\n");
}
