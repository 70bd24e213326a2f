/** Reads and writes `bench/results/`: `<timestamp>.json` (gitignored), `latest.json`, `latest.svg`. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../lib/bench-stack";
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
 * Writes the timestamped JSON and, unless `partial` (a `--only` run), `latest.json` and
 * `latest.svg`; returns the paths written.
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
  const svg = join(RESULTS_DIR, "latest.svg");
  await writeFile(LATEST, json);
  await writeFile(svg, benchChart(results));
  return [stamped, LATEST, svg].map((f) => f.slice(ROOT.length));
}
