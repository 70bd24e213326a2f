/** The checker's output: a short text report and a JSON file per run. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { staleOf } from "../forgetful/attribution";
import { READ_CLASSES } from "./analyzer";
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

/**
 * What counts against a path. Without the forgetful profile: every stale, impossible, lost or
 * non-monotonic read and every bypass of a healthy Redis. Under it: impossible reads, lost writes,
 * and the stale and non-monotonic reads that rule 6 does not excuse (it excuses them only shortly
 * after Redis came back from a snapshot). Bypasses are reported per fault there but not counted:
 * a Redis under eviction pressure and restarts is not the healthy Redis the other profiles promise,
 * and the Worker may rightly give up on it for a while (its circuit breaker).
 */
export function findingsOf(result: CheckResult): number {
  const c = result.analysis.counts;
  const forgetful = result.forgetful;
  if (result.replicas !== undefined) {
    return replicaFindingsOf(result);
  }
  if (forgetful === undefined) {
    return c.stale + c.impossible + c.lost + c.monotonic + bypassesOf(result);
  }
  return forgetful.attribution.unexcused + c.impossible + c.lost;
}

/**
 * What counts against a replica run (rule 8): in every mode failed knob calls of the lag nemesis
 * (the run did not lag as it claims), bookmarked reads older than their
 * bookmark or going backwards, stale fills (stale `MISS` reads, keys that never converge),
 * impossible reads, lost writes and bypasses (the profile never takes Redis down); in `strong`
 * mode also every stale or non-monotonic read (rules 1–7 hold as written); in `nearest` mode the
 * unbookmarked reads past their lag bound, when more than 1% of the stale ones are.
 */
export function replicaFindingsOf(result: CheckResult): number {
  const c = result.analysis.counts;
  const r = result.replicas?.analysis;
  if (r === undefined) {
    return 0;
  }
  const common =
    (result.replicas?.nemesisErrors.length ?? 0) +
    r.bookmarked.stale +
    r.bookmarked.monotonic +
    r.staleFills.total +
    c.impossible +
    c.lost +
    bypassesOf(result);
  if (r.mode === "strong") {
    return common + c.stale + c.monotonic;
  }
  return common + (r.unbookmarked.withinBound ? 0 : r.unbookmarked.overBound);
}

/**
 * A replica run of a mutant is caught by what the replica fence protects: stale fills or
 * bookmarked reads older than their bookmark.
 */
export function replicaCaught(result: CheckResult): boolean {
  const r = result.replicas?.analysis;
  // A run whose nemesis failed may still catch a mutant: what it found is real.
  return r !== undefined && (r.staleFills.total > 0 || r.bookmarked.stale > 0);
}

/** Clean = no findings ({@link findingsOf}). */
export function isClean(result: CheckResult): boolean {
  return findingsOf(result) === 0;
}

/**
 * The real core (`label` "real") must be clean; any other label is a mutant and must be flagged: a
 * stale read, or reads that bypassed a healthy Redis (how M4 shows once the core validates replies).
 */
export function verdictOf(result: CheckResult): Verdict {
  if (result.replicas !== undefined) {
    return result.replicas.path === "real"
      ? { label: result.label, expectation: "clean", passed: isClean(result) }
      : { label: result.label, expectation: "caught", passed: replicaCaught(result) };
  }
  if (result.label === "real") {
    return { label: result.label, expectation: "clean", passed: isClean(result) };
  }
  const flagged =
    result.forgetful === undefined
      ? result.analysis.counts.stale > 0 || bypassesOf(result) > 0
      : findingsOf(result) > 0;
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
        .join(
          " ",
        )}${bypassesOf(r) > 0 && r.forgetful === undefined ? " (bypasses of a healthy Redis)" : ""}`,
    );
    lines.push(...classLines(r), ...forgetfulLines(r), ...replicaLines(r));
    for (const kind of ["stale", "impossible", "lost", "monotonic"] as const) {
      const e = r.analysis.examples.find((x) => x.kind === kind);
      if (e !== undefined) {
        const lag = e.lagMs === undefined ? "" : `, ${e.lagMs.toFixed(1)} ms after the ack`;
        lines.push(
          `     e.g. ${kind} (${e.cls}): ${e.key} op#${e.opId} (${e.proc}) saw ${e.observed}, expected ≥ ${e.expected}${lag}`,
        );
      }
    }
  }
  return lines.join("\n");
}

function classLines(r: CheckResult): string[] {
  const parts = READ_CLASSES.map((cls) => {
    const c = r.analysis.byClass[cls];
    return `${cls} ${c.stale}/${c.okReads}`;
  });
  const cron =
    r.cron === undefined
      ? ""
      : `; cron every ${r.cron.periodMs / 1000}s: ${r.cron.runs} runs (${r.cron.failed} failed)`;
  return [`     stale by class (stale/ok reads): ${parts.join(", ")}${cron}`];
}

function forgetfulLines(r: CheckResult): string[] {
  if (r.forgetful === undefined) {
    return [];
  }
  const { faults: f, attribution: a } = r.forgetful;
  const kinds = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const evictions = f.evictions
    .map((e) => `${e.policy} ${e.evictedKeys} (run keys: ${kinds(e.evictedRunKeys)})`)
    .join("; ");
  const lines = [
    `     faults: evicted ${f.evictedKeys} [${evictions}]; deleted ${kinds(f.deletedKeys)}; flushes ${f.flushes}; restores ${f.restores} (snapshot of ${f.snapshotKeys ?? 0} keys, down ${f.restoreDowntimeMs.join("/")} ms)${f.skipped.length > 0 ? `; skipped ${f.skipped.join(" ")}` : ""}`,
  ];
  for (const [fault, c] of Object.entries(a.perFault)) {
    lines.push(
      `     after ${fault.padEnd(16)} stale ${staleOf(c)} (product ${c.stale.product}, page ${c.stale.page}, reviews ${c.stale.reviews}), monotonic ${c.monotonic}, impossible ${c.impossible}, bypass ${c.bypass}`,
    );
  }
  for (const w of a.restores) {
    lines.push(
      `     restore at ${(w.returnedAtMs / 1000).toFixed(1)}s: stale window ${w.windowMs.toFixed(0)} ms (${w.staleReads} stale reads; excused within ${a.allowanceMs} ms)`,
    );
  }
  lines.push(`     excused by rule 6: ${a.excused}; findings: ${findingsOf(r)}`);
  return lines;
}

function replicaLines(r: CheckResult): string[] {
  const o = r.replicas;
  if (o === undefined) {
    return [];
  }
  const a = o.analysis;
  const lags = o.timeline.slice(0, -1);
  const maxOf = (pick: (l: (typeof lags)[number]) => number) =>
    lags.reduce((m, l) => Math.max(m, pick(l)), 0);
  const u = a.unbookmarked;
  const lines = [
    `     lag: ${a.lagChanges - 1} changes, redis ≤ ${maxOf((l) => l.redisLagMs)} ms, postgres ≤ ${maxOf((l) => l.pgLagMs)} ms (0 before convergence)${o.nemesisErrors.length > 0 ? `; ${o.nemesisErrors.length} FAILED knob calls, first: ${o.nemesisErrors[0]}` : ""}`,
    `     (a) bookmarked reads: ${a.bookmarked.reads}, older than their bookmark ${a.bookmarked.stale}, monotonic violations ${a.bookmarked.monotonic} (missed another writer's write: ${a.bookmarked.missedOthers})`,
    `     (b) stale fills: ${a.staleFills.total} (stale MISS reads ${a.staleFills.staleMisses}, of them bookmarked ${a.staleFills.bookmarkedStaleMisses}; never converged ${a.staleFills.neverConverged.length})`,
    o.mode === "strong"
      ? `     (c) strong, every read: stale ${r.analysis.counts.stale}, monotonic ${r.analysis.counts.monotonic}`
      : `     (c) strong rules: not applied (nearest; ordinary stale ${r.analysis.counts.stale}, monotonic ${r.analysis.counts.monotonic})`,
    `     (d) unbookmarked reads: ${u.reads}, stale ${u.stale}: staleness p50 ${u.stalenessMs.p50} p99 ${u.stalenessMs.p99} max ${u.stalenessMs.max} ms; bound p50 ${u.boundMs.p50} max ${u.boundMs.max} ms; over bound ${u.overBound}${o.mode === "nearest" ? (u.withinBound ? " (p99 within bound)" : " (p99 PAST the bound)") : " (strong: must be 0 stale, see (c))"}`,
  ];
  for (const e of a.examples.filter((x, i, all) => all.findIndex((y) => y.kind === x.kind) === i)) {
    lines.push(`     e.g. ${e.kind}: ${e.key} op#${e.opId} (${e.proc}) ${e.detail}`);
  }
  lines.push(`     findings: ${findingsOf(r)}`);
  return lines;
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
