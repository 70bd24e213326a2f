/**
 * Reads and writes `bench/results/`: `<timestamp>.json` (gitignored), `latest.json`, `latest.svg`,
 * and the generated section of `docs/benchmarks.md` (from the same results as `latest.json`).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../lib/bench-stack";
import { BENCH_DOCS_PAGE, benchDocsSection, replaceBenchSection } from "./docs-section";
import type { BenchResults } from "./results";
import { benchChart } from "./svg-chart";

/** Where results go. */
export const RESULTS_DIR = join(ROOT, "bench/results");
const LATEST = join(RESULTS_DIR, "latest.json");

/** The previous `latest.json`, or `undefined` when there is none (or it does not parse). */
export async function readLatest(): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(LATEST, "utf8")) as BenchResults;
  } catch {
    return undefined;
  }
}

/**
 * Rewrites `latest.svg` and the generated section of `docs/benchmarks.md` from `results` (the
 * prose around the section's markers is kept); returns the paths written.
 */
export async function writeRenderings(results: BenchResults): Promise<string[]> {
  const svg = join(RESULTS_DIR, "latest.svg");
  const page = join(ROOT, BENCH_DOCS_PAGE);
  await writeFile(svg, benchChart(results));
  const current = await readFile(page, "utf8");
  await writeFile(page, replaceBenchSection(current, benchDocsSection(results)));
  return [svg, page];
}

/**
 * Writes the timestamped JSON and, unless `partial` (a `--only` run), `latest.json`, `latest.svg`
 * and the docs section; returns the paths written.
 */
export async function writeResults(results: BenchResults, partial = false): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = results.date.replace(/[:.]/g, "-");
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const stamped = join(RESULTS_DIR, `${stamp}${partial ? "-partial" : ""}.json`);
  await writeFile(stamped, json);
  if (partial) {
    return [stamped.slice(ROOT.length)];
  }
  await writeFile(LATEST, json);
  // Rendered from the JSON as written (NaN and undefined do not survive it), so the docs are
  // exactly what `npm run bench:report` and its test derive from the committed file.
  const rendered = await writeRenderings(JSON.parse(json) as BenchResults);
  return [stamped, LATEST, ...rendered].map((f) => f.slice(ROOT.length));
}
