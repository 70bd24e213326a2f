/** Command-line flags of `npm run bench` (and `npm run bench:throughput`). */

/** The bench settings. */
export type BenchOptions = {
  /** Round trip injected on every Upstash REST request, in ms. @default 2 (`--redis-ms`) */
  redisMs: number;
  /** Round trip injected on every Neon `/sql` request, in ms. @default 10 (`--db-ms`) */
  dbMs: number;
  /** Uniform random extra delay per Redis request, in ms. @default 0 (`--redis-jitter-ms`) */
  redisJitterMs: number;
  /** Uniform random extra delay per Postgres request, in ms. @default 0 (`--db-jitter-ms`) */
  dbJitterMs: number;
  /** Worker isolates the requests are spread over, round-robin. @default 2 (`--isolates`) */
  isolates: number;
  /** Fewer requests and shorter runs, for a smoke run (`--quick`). @default false */
  quick: boolean;
  /** Seed of the read/write mix's operation sequence. @default 1 (`--seed`) */
  seed: number;
  /** Run only these scenario ids (`--only hit,mix`). @default [] (all) */
  only: string[];
  /** Run only these paths (`--paths core,naive`). @default [] (all) */
  paths: string[];
  /** Extra Worker bindings for every isolate (`--var REDIS_TIMEOUT_MS=1000`, repeatable). @default {} */
  vars: Record<string, string>;
  /** `bench:throughput` only: seconds of load per measurement. @default 10 (`--duration`) */
  durationSeconds: number;
  /** `bench:throughput` only: concurrent connections. @default 50 (`--connections`) */
  connections: number;
  /** `bench:throughput` only: alternating measurement rounds of each Worker. @default 2 (`--rounds`) */
  rounds: number;
};

/** `--help` text. */
export const USAGE = `usage: npm run bench -- [--redis-ms N] [--db-ms N] [--isolates N] [--quick] [--seed N]
  --redis-ms N   round trip injected per Redis (Upstash REST) request, ms   (default 2)
  --db-ms N      round trip injected per Postgres (Neon /sql) request, ms  (default 10)
  --redis-jitter-ms N, --db-jitter-ms N
                 uniform random extra delay per request, ms               (default 0)
  --isolates N   Worker isolates, requests spread round-robin             (default 2)
  --quick        fewer requests and shorter runs (smoke run)
  --seed N       seed of the read/write mix                               (default 1)
  --only a,b     run only these scenarios: hit, miss, stampede, absent, mix,
                 cost, flash, race, expiring, expiring-no-stale           (default all)
  --paths a,b    run only these paths: nocache, naive, core, cachified,
                 bentocache                                               (default all)
  --var K=V      an extra Worker binding for every isolate, e.g. REDIS_TIMEOUT_MS=1000
                 (repeatable; for experiments)
  (--only, --paths and --var runs write a partial JSON and leave latest.* and the docs alone)
bench:throughput only:
  --duration N   seconds of load per measurement                          (default 10)
  --connections N  concurrent connections                                 (default 50)
  --rounds N     alternating rounds of subject and ceiling                (default 2)`;

/** Parses `argv` (without the node and script names); throws on an unknown or malformed flag. */
export function parseArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    redisMs: 2,
    dbMs: 10,
    redisJitterMs: 0,
    dbJitterMs: 0,
    isolates: 2,
    quick: false,
    seed: 1,
    durationSeconds: 10,
    connections: 50,
    rounds: 2,
    only: [],
    paths: [],
    vars: {},
  };
  type NumericField = {
    [K in keyof BenchOptions]: BenchOptions[K] extends number ? K : never;
  }[keyof BenchOptions];
  const numeric: Record<string, NumericField> = {
    "--redis-ms": "redisMs",
    "--db-ms": "dbMs",
    "--redis-jitter-ms": "redisJitterMs",
    "--db-jitter-ms": "dbJitterMs",
    "--isolates": "isolates",
    "--seed": "seed",
    "--duration": "durationSeconds",
    "--connections": "connections",
    "--rounds": "rounds",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [flag, inline] = arg.includes("=") ? arg.split("=", 2) : [arg, undefined];
    if (flag === "--quick") {
      options.quick = true;
      continue;
    }
    if (flag === "--var") {
      const pair = inline === undefined ? (argv[++i] ?? "") : arg.slice("--var=".length);
      const eq = pair.indexOf("=");
      if (eq < 1) {
        throw new Error(`--var needs KEY=VALUE\n${USAGE}`);
      }
      options.vars[pair.slice(0, eq)] = pair.slice(eq + 1);
      continue;
    }
    if (flag === "--only" || flag === "--paths") {
      const list = (inline ?? argv[++i] ?? "").split(",").filter((id) => id !== "");
      options[flag === "--only" ? "only" : "paths"] = list;
      continue;
    }
    const field = flag === undefined ? undefined : numeric[flag];
    if (field === undefined) {
      throw new Error(`unknown flag ${arg}\n${USAGE}`);
    }
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < 0) {
      throw new Error(`${flag} needs a non-negative number\n${USAGE}`);
    }
    options[field] = value;
  }
  for (const [flag, value] of [
    ["--isolates", options.isolates],
    ["--connections", options.connections],
    ["--rounds", options.rounds],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${flag} must be a whole number ≥ 1\n${USAGE}`);
    }
  }
  return options;
}
