/**
 * `npm run check:consistency`: starts a private stack (`harness/run-stack.ts`, as the integration
 * tests do: fresh Postgres database, Upstash REST and Neon servers over the local Redis and
 * Postgres), then runs the consistency checker against the real core and every mutant, prints a
 * short report and writes JSON to `check/results/`. Exit code 0 when the real core is clean and every mutant is caught.
 *
 * Flags: `--seed N` (default: random, printed), `--duration S` seconds per path (default 60),
 * `--mutant all|none|M1,M3` (default: the profile's, `MUTANTS_BY_PROFILE`), `--isolates N` (default 2), `--out DIR`,
 * `--profile race|calm|forgetful` (default race: the knobs of `RACE_PROFILE`; calm: no knobs at
 * all; forgetful: a private Redis that is evicted, has keys deleted, is flushed and restored from
 * an older snapshot, see `check/forgetful/`; its default mutants are M5 and M6),
 * `replicas`: private Redis and Postgres replicas whose lag changes every 1–3 s, each path in both
 * read modes, see `check/replicas/`; its default mutant is M8; `late-replies`: Redis answers
 * 0–80 ms after the command ran, `LATE_REPLY_PROFILE`; its default mutant is M10),
 * `--modes strong,nearest` (replicas: the read modes, default both),
 * `--schedule LIST` (forgetful: the faults as fractions of the duration, default
 * `DEFAULT_SCHEDULE`), `--restore-mode held|outage` (forgetful, default held), `--cron-period S`
 * (the Worker's `scheduled()` during a run, default 60).
 * With `--base-url URL` it drives an already running Worker instead (e.g. `npm run dev`), real
 * core only, no knobs; it then needs `API_TOKEN` and `DATABASE_URL` in the environment.
 */
import { join } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { startRunStack } from "../harness/run-stack";
import { CRON_PERIOD_MS } from "./consistency/cron";
import { formatReport, verdictOf, writeJsonReport } from "./consistency/report";
import { type CheckResult, runCheck } from "./consistency/run";
import {
  LATE_REPLY_PROFILE,
  type PathName,
  RACE_BINDINGS,
  RACE_PROFILE,
  runSuite,
} from "./consistency/suite";
import { urlTarget } from "./consistency/target";
import { DEFAULT_SCHEDULE, parseSchedule, type ScheduledFault } from "./forgetful/schedule";
import {
  FORGETFUL_BINDINGS,
  FORGETFUL_CRON_PERIOD_MS,
  FORGETFUL_KNOBS,
  runForgetfulSuite,
} from "./forgetful/suite";
import { ROOT } from "./mutants/bundle";
import { MUTANT_NAMES, MUTANTS_BY_PROFILE, type MutantName } from "./mutants/catalog";
import type { ReadMode } from "./replicas/private-replicas";
import { READ_MODES, REPLICA_BINDINGS, REPLICA_KNOBS, runReplicaSuite } from "./replicas/suite";

/** `--help` text (the module comment has the details). */
const USAGE = `usage: npm run check:consistency -- [flags]
  --profile P        race (default), calm, forgetful, replicas or late-replies
  --duration S       seconds per path                                  (default 60)
  --seed N           seed of the operation schedule                    (default random, printed)
  --mutant LIST      all, none or e.g. M1,M3                           (default the profile's)
  --isolates N       Worker isolates                                   (default 2)
  --out DIR          where the JSON report goes                        (default check/results)
  --modes LIST       replicas: read modes, strong,nearest              (default both)
  --schedule LIST    forgetful: faults as fractions of the duration    (default ${DEFAULT_SCHEDULE})
  --restore-mode M   forgetful: held or outage                         (default held)
  --cron-period S    seconds between the Worker's scheduled() runs     (default ${CRON_PERIOD_MS / 1000}; forgetful ${FORGETFUL_CRON_PERIOD_MS / 1000})
  --base-url URL     drive a running Worker (real core only; needs API_TOKEN and DATABASE_URL)`;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(USAGE);
  process.exit(0);
}

const { values } = parseArgsOrExit({
  options: {
    seed: { type: "string" },
    duration: { type: "string", default: "60" },
    mutant: { type: "string" },
    isolates: { type: "string", default: "2" },
    out: { type: "string", default: join(ROOT, "check/results") },
    profile: { type: "string", default: "race" },
    "base-url": { type: "string" },
    schedule: { type: "string", default: DEFAULT_SCHEDULE },
    "restore-mode": { type: "string", default: "held" },
    "cron-period": { type: "string" },
    modes: { type: "string", default: READ_MODES.join(",") },
  },
} as const);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const durationMs = Number(values.duration) * 1000;
const isolates = Number(values.isolates);
if (![seed, durationMs, isolates].every((n) => Number.isInteger(n) && n >= 0) || isolates < 1) {
  console.error("--seed, --duration and --isolates must be non-negative integers (isolates ≥ 1)");
  process.exit(2);
}
const forgetful = values.profile === "forgetful";
const replicas = values.profile === "replicas";
const lateReplies = values.profile === "late-replies";
const cronPeriodMs =
  values["cron-period"] === undefined
    ? forgetful
      ? FORGETFUL_CRON_PERIOD_MS
      : CRON_PERIOD_MS
    : Number(values["cron-period"]) * 1000;
if (!["race", "calm", "forgetful", "replicas", "late-replies"].includes(values.profile)) {
  console.error("--profile must be race, calm, forgetful, replicas or late-replies");
  process.exit(2);
}
if (!(cronPeriodMs > 0) || !["held", "outage"].includes(values["restore-mode"])) {
  console.error(
    "--cron-period must be a positive number of seconds; --restore-mode held or outage",
  );
  process.exit(2);
}
const schedule = parseScheduleOrExit(values.schedule);
const modes = parseModes(values.modes);
const mutants = parseMutants(
  values.mutant ??
    MUTANTS_BY_PROFILE[
      forgetful ? "forgetful" : replicas ? "replicas" : lateReplies ? "late-replies" : "race"
    ].join(","),
);
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
      `seed ${seed}, ${values.duration} s per path, ${isolates} isolates, profile ${values.profile}, paths ${paths.join(" ")}`,
    );
    results.push(
      ...(replicas
        ? await runReplicaSuite(run.stack, {
            paths,
            modes,
            seed,
            durationMs,
            isolates,
            cronPeriodMs,
            onResult: print,
          })
        : forgetful
          ? await runForgetfulSuite(run.stack, {
              paths,
              seed,
              durationMs,
              isolates,
              schedule,
              cronPeriodMs,
              restoreMode: values["restore-mode"] === "outage" ? "outage" : "held",
              onResult: print,
            })
          : await runSuite(run.stack, {
              paths,
              seed,
              durationMs,
              isolates,
              // M2 skips every 100th invalidation of an isolate: make sure each isolate skips a few.
              minWrites: { M2: 400 * isolates },
              profile: suiteKnobs(),
              cronPeriodMs,
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
  if (forgetful || replicas) {
    console.error(
      `--profile ${values.profile} needs its own private servers: it cannot run with --base-url`,
    );
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
  profile: baseUrl === undefined ? profileMeta() : null,
  bindings:
    baseUrl === undefined
      ? forgetful
        ? FORGETFUL_BINDINGS
        : replicas
          ? REPLICA_BINDINGS
          : RACE_BINDINGS
      : null,
  cronPeriodMs,
});
const failed = results.map(verdictOf).filter((v) => !v.passed);
say(`JSON: ${file}`);
say(failed.length === 0 ? "all paths passed" : `FAILED: ${failed.map((v) => v.label).join(", ")}`);
process.exit(failed.length === 0 ? 0 : 1);

function profileMeta(): Record<string, unknown> {
  if (replicas) {
    return { name: "replicas", knobs: REPLICA_KNOBS, modes };
  }
  if (forgetful) {
    return {
      name: "forgetful",
      knobs: FORGETFUL_KNOBS,
      schedule: values.schedule,
      restoreMode: values["restore-mode"],
    };
  }
  return { name: values.profile, knobs: suiteKnobs() };
}

/** The knobs of the race, calm and late-replies profiles. */
function suiteKnobs() {
  return values.profile === "calm" ? {} : lateReplies ? LATE_REPLY_PROFILE : RACE_PROFILE;
}

function parseScheduleOrExit(text: string): ScheduledFault[] {
  try {
    return parseSchedule(text);
  } catch (err: unknown) {
    console.error(`--schedule: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
}

function parseModes(spec: string): ReadMode[] {
  const names = spec.split(",").map((s) => s.trim());
  const bad = names.filter((n) => n !== "strong" && n !== "nearest");
  if (bad.length > 0 || names.length === 0) {
    console.error(`--modes: unknown mode(s) ${bad.join(", ")}; use strong, nearest or both`);
    process.exit(2);
  }
  return names as ReadMode[];
}

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

/** `parseArgs`, with an unknown or malformed flag reported in one line and the usage (exit 2). */
function parseArgsOrExit<const C extends ParseArgsConfig>(config: C) {
  try {
    return parseArgs(config);
  } catch (err: unknown) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
}
