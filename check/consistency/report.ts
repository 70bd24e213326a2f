/** The checker's output: a short text report and a JSON file per run. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CheckResult } from "./run";

/** A path's verdict: the real core must be clean; a mutant must be caught. */
export type Verdict = { label: string; expectation: "clean" | "caught"; passed: boolean };

/**
 * Reads answered `X-Cache: BYPASS`. The checker never takes Redis down (its knobs stall Postgres
 * and add Redis jitter well below the Redis timeout), so every bypass is a cache that could not use
 * a healthy Redis: a finding, not an outage.
 */
export function bypassesOf(result: CheckResult): number {
  return result.xCache.BYPASS ?? 0;
}

/** Clean = no stale, impossible, lost or monotonic violations, and no bypass of a healthy Redis. */
export function isClean(result: CheckResult): boolean {
  const c = result.analysis.counts;
  return (
    c.stale === 0 &&
    c.impossible === 0 &&
    c.lost === 0 &&
    c.monotonic === 0 &&
    bypassesOf(result) === 0
  );
}

/**
 * The real core (`label` "real") must be clean; any other label is a mutant and must be flagged: a
 * stale read, or reads that bypassed a healthy Redis (how M4 shows once the core validates replies).
 */
export function verdictOf(result: CheckResult): Verdict {
  if (result.label === "real") {
    return { label: result.label, expectation: "clean", passed: isClean(result) };
  }
  const flagged = result.analysis.counts.stale > 0 || bypassesOf(result) > 0;
  return { label: result.label, expectation: "caught", passed: flagged };
}

/** A few lines per path plus one example of each violation kind. */
export function formatReport(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const c = r.analysis.counts;
    const v = verdictOf(r);
    const conv = r.convergence;
    lines.push(
      `${r.label.padEnd(4)} ${v.passed ? "PASS" : "FAIL"} (${v.expectation === "clean" ? "must be clean" : "must be caught"}) seed=${r.seed} load=${(r.loadMs / 1000).toFixed(1)}s holds=${r.holds}`,
      `     ops=${c.ops} reads=${c.okReads}/${c.reads} writes=${c.okWrites}/${c.writes} (info ${c.infoWrites}, failed ${c.failed})`,
      `     stale=${c.stale} (episodes ${c.staleEpisodes}) impossible=${c.impossible} lost=${c.lost} monotonic=${c.monotonic}`,
      `     converged: ${conv.buckets.within1s}/${Object.keys(conv.perKey).length} keys within 1s, ${conv.buckets.never} never (max ${conv.maxMs === null ? "-" : `${conv.maxMs} ms`})`,
      `     latency ms: read p50 ${r.latencyMs.read.p50} p99 ${r.latencyMs.read.p99}, write p50 ${r.latencyMs.write.p50} p99 ${r.latencyMs.write.p99}, invalidation max ${r.invalidationMs.max}`,
      `     x-cache: ${Object.entries(r.xCache)
        .map(([k, n]) => `${k}=${n}`)
        .join(" ")}${bypassesOf(r) > 0 ? " (bypasses of a healthy Redis)" : ""}`,
    );
    for (const kind of ["stale", "impossible", "lost", "monotonic"] as const) {
      const e = r.analysis.examples.find((x) => x.kind === kind);
      if (e !== undefined) {
        const lag = e.lagMs === undefined ? "" : `, ${e.lagMs.toFixed(1)} ms after the ack`;
        lines.push(
          `     e.g. ${kind}: ${e.key} op#${e.opId} (${e.proc}) saw ${e.observed}, expected ≥ ${e.expected}${lag}`,
        );
      }
    }
  }
  return lines.join("\n");
}

/** Writes `results` to `<dir>/<timestamp>.json`; returns the path. */
export async function writeJsonReport(
  dir: string,
  results: readonly CheckResult[],
  meta: Record<string, unknown>,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const body = { meta, verdicts: results.map(verdictOf), results };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
