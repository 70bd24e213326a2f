/**
 * `npm run check:consistency`: starts a private stack (`harness/run-stack.ts`, as the integration
 * tests do: fresh Postgres database, Upstash REST and Neon servers over the local Redis and
 * Postgres), then runs the consistency checker against the real core and every mutant, prints a
 * short report and writes JSON to `check/results/`. Exit code 0 when the real core is clean and every mutant is caught.
 *
 * Flags: `--seed N` (default: random, printed), `--duration S` seconds per path (default 60),
 * `--mutant all|none|M1,M3` (default all), `--isolates N` (default 2), `--out DIR`,
 * `--profile race|calm` (default race: the knobs of `RACE_PROFILE`; calm: no knobs at all).
 * With `--base-url URL` it drives an already running Worker instead (e.g. `npm run dev`), real
 * core only, no knobs; it then needs `API_TOKEN` and `DATABASE_URL` in the environment.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startRunStack } from "../harness/run-stack";
import { formatReport, verdictOf, writeJsonReport } from "./consistency/report";
import { type CheckResult, runCheck } from "./consistency/run";
import { type PathName, RACE_BINDINGS, RACE_PROFILE, runSuite } from "./consistency/suite";
import { urlTarget } from "./consistency/target";
import { ROOT } from "./mutants/bundle";
import { MUTANT_NAMES, type MutantName } from "./mutants/catalog";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    duration: { type: "string", default: "60" },
    mutant: { type: "string", default: "all" },
    isolates: { type: "string", default: "2" },
    out: { type: "string", default: join(ROOT, "check/results") },
    profile: { type: "string", default: "race" },
    "base-url": { type: "string" },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const durationMs = Number(values.duration) * 1000;
const isolates = Number(values.isolates);
if (![seed, durationMs, isolates].every((n) => Number.isInteger(n) && n >= 0) || isolates < 1) {
  console.error("--seed, --duration and --isolates must be non-negative integers (isolates ≥ 1)");
  process.exit(2);
}
const mutants = parseMutants(values.mutant);
const say = (line: string) => console.log(`[check] ${line}`);

const results: CheckResult[] = [];
const print = (r: CheckResult) => console.log(formatReport([r]));
const baseUrl = values["base-url"];
if (baseUrl === undefined) {
  // The checker bundles its own builds (the real core and each mutant) in memory.
  const run = await startRunStack({ label: "check", workerEntry: null });
  try {
    const paths: PathName[] = ["real", ...mutants];
    say(
      `seed ${seed}, ${values.duration} s per path, ${isolates} isolates, paths ${paths.join(" ")}`,
    );
    results.push(
      ...(await runSuite(run.stack, {
        paths,
        seed,
        durationMs,
        isolates,
        // M2 skips every 100th invalidation of an isolate: make sure each isolate skips a few.
        minWrites: { M2: 400 * isolates },
        profile: values.profile === "calm" ? {} : RACE_PROFILE,
        onResult: print,
      })),
    );
  } finally {
    await run.close();
  }
} else {
  const apiToken = process.env.API_TOKEN;
  const databaseUrl = process.env.DATABASE_URL;
  if (apiToken === undefined || databaseUrl === undefined) {
    console.error("--base-url needs API_TOKEN and DATABASE_URL in the environment");
    process.exit(2);
  }
  say(`seed ${seed}, ${values.duration} s against ${baseUrl} (real core, no knobs)`);
  const result = await runCheck({
    label: "real",
    targets: [urlTarget(baseUrl)],
    apiToken,
    databaseUrl,
    seed,
    durationMs,
  });
  print(result);
  results.push(result);
}
const file = await writeJsonReport(values.out, results, {
  seed,
  durationMs,
  isolates,
  baseUrl: baseUrl ?? null,
  profile: baseUrl === undefined ? (values.profile === "calm" ? {} : RACE_PROFILE) : null,
  bindings: baseUrl === undefined ? RACE_BINDINGS : null,
});
const failed = results.map(verdictOf).filter((v) => !v.passed);
say(`JSON: ${file}`);
say(failed.length === 0 ? "all paths passed" : `FAILED: ${failed.map((v) => v.label).join(", ")}`);
process.exit(failed.length === 0 ? 0 : 1);

function parseMutants(spec: string): MutantName[] {
  if (spec === "all") {
    return [...MUTANT_NAMES];
  }
  if (spec === "none") {
    return [];
  }
  const names = spec.split(",").map((s) => s.trim().toUpperCase());
  const unknown = names.filter((n) => !MUTANT_NAMES.includes(n as MutantName));
  if (unknown.length > 0) {
    console.error(
      `unknown mutant(s) ${unknown.join(", ")}; use ${MUTANT_NAMES.join(", ")}, all or none`,
    );
    process.exit(2);
  }
  return names as MutantName[];
}
