/**
 * `npm run bench:throughput`: cache hits through `wrangler dev` under load (autocannon), as a ratio
 * to a bare Worker that makes one Upstash GET and nothing else (`bare-get-worker.ts`, the ceiling of
 * this stack on this machine). The subject is the real API (`GET /products/:id` of a seeded, cached
 * product) when `src/index.ts` answers it, otherwise the bench Worker's core path (and the output
 * says which). Rounds alternate subject and ceiling to spread drift in machine load over both.
 * Writes `bench/results/throughput-<timestamp>.json` and merges into `latest.json`.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { Redis } from "@upstash/redis";
import { parseArgs, USAGE } from "./lib/args";
import { type LoadResult, loadTest } from "./lib/autocannon";
import { type BenchStack, ROOT, startBenchStack } from "./lib/bench-stack";
import { mean } from "./lib/summary";
import { startWranglerDev, type WranglerDev } from "./lib/wrangler-dev";
import { checkTargets, type ThroughputResult } from "./report/results";
import { RESULTS_DIR, readLatest, writeResults } from "./report/write-results";

const PRODUCT = "tp-1";
const log = (line: string) => process.stderr.write(`[throughput] ${line}\n`);

type Subject = { label: string; server: WranglerDev; path: string };

/** The real API if it serves a cached product, else the bench Worker's core path. */
async function startSubject(stack: BenchStack): Promise<Subject> {
  if (existsSync(join(ROOT, "src/index.ts"))) {
    const api = await startWranglerDev(
      { name: "eca-bench-api", config: join(ROOT, "wrangler.toml"), vars: stack.bindings },
      "/healthz",
    );
    const path = `/products/${PRODUCT}`;
    const first = await fetch(`${api.url}${path}`);
    const body = (await first.json().catch(() => ({}))) as { version?: unknown };
    if (first.status === 200 && typeof body.version === "number") {
      return { label: "real API: GET /products/:id (src/index.ts)", server: api, path };
    }
    log(`the API answered ${first.status}; measuring the bench Worker's core path instead`);
    await api.stop();
  }
  const bench = await startWranglerDev(
    {
      name: "eca-bench-core",
      config: join(ROOT, "wrangler.toml"),
      script: join(ROOT, "bench/worker.ts"),
      vars: stack.bindings,
    },
    "/stats",
  );
  return {
    label: "bench Worker core path: GET /read/core/:id (the API did not answer)",
    server: bench,
    path: `/read/core/${PRODUCT}`,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseArgs(argv);
  const loadBefore = loadavg();
  log(`load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}; starting the stack`);
  const stack = await startBenchStack();
  const servers: WranglerDev[] = [];
  const stopAll = async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await stack.close();
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await stack.setLatency(options.redisMs, options.dbMs, {
      redisMs: options.redisJitterMs,
      dbMs: options.dbJitterMs,
    });
    await stack.seed([PRODUCT]);
    const redis = new Redis({ ...stack.upstash, enableTelemetry: false });
    // About the size of a cached product entry, so both Workers move similar bytes.
    await redis.set(`${stack.prefix}:bare`, "x".repeat(400));

    log("starting wrangler dev (subject and ceiling)");
    const subject = await startSubject(stack);
    servers.push(subject.server);
    const ceiling = await startWranglerDev(
      {
        name: "eca-bench-bare-get",
        config: join(ROOT, "wrangler.toml"),
        script: join(ROOT, "bench/bare-get-worker.ts"),
        vars: stack.bindings,
      },
      "/",
    );
    servers.push(ceiling);
    const subjectUrl = `${subject.server.url}${subject.path}`;
    const ceilingUrl = `${ceiling.url}/`;
    const check = await fetch(subjectUrl);
    log(`subject: ${subject.label}; X-Cache ${check.headers.get("x-cache") ?? "n/a"}`);
    await check.body?.cancel();

    log("warm-up (3 s each)");
    await loadTest(ceilingUrl, options.connections, 3);
    await loadTest(subjectUrl, options.connections, 3);
    const runs: { subject: LoadResult[]; ceiling: LoadResult[] } = { subject: [], ceiling: [] };
    for (let round = 0; round < options.rounds; round++) {
      const order =
        round % 2 === 0 ? (["ceiling", "subject"] as const) : (["subject", "ceiling"] as const);
      for (const which of order) {
        log(
          `round ${round + 1}/${options.rounds}: ${which}, ${options.durationSeconds} s × ${options.connections} connections`,
        );
        const result = await loadTest(
          which === "subject" ? subjectUrl : ceilingUrl,
          options.connections,
          options.durationSeconds,
        );
        log(
          `  ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.latencyP50Ms} ms, p99 ${result.latencyP99Ms} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
        );
        runs[which].push(result);
      }
    }
    const avg = (list: LoadResult[], f: (r: LoadResult) => number) => mean(list.map(f)) ?? 0;
    const subjectRps = avg(runs.subject, (r) => r.requestsPerSecond);
    const ceilingRps = avg(runs.ceiling, (r) => r.requestsPerSecond);
    const result: ThroughputResult = {
      date: new Date().toISOString(),
      subject: subject.label,
      subjectUrl: subject.path,
      ceilingUrl: "/ (bench/bare-get-worker.ts)",
      durationSeconds: options.durationSeconds,
      connections: options.connections,
      subjectRequestsPerSecond: subjectRps,
      ceilingRequestsPerSecond: ceilingRps,
      ratio: subjectRps / ceilingRps,
      subjectLatencyP50Ms: avg(runs.subject, (r) => r.latencyP50Ms),
      subjectLatencyP99Ms: avg(runs.subject, (r) => r.latencyP99Ms),
      ceilingLatencyP50Ms: avg(runs.ceiling, (r) => r.latencyP50Ms),
      ceilingLatencyP99Ms: avg(runs.ceiling, (r) => r.latencyP99Ms),
      non2xx: {
        subject: runs.subject.reduce((a, r) => a + r.non2xx + r.errors, 0),
        ceiling: runs.ceiling.reduce((a, r) => a + r.non2xx + r.errors, 0),
      },
      injected: { redisMs: options.redisMs, dbMs: options.dbMs },
      loadAverage: { before: loadBefore, after: loadavg() },
    };
    await writeFile(
      join(RESULTS_DIR, `throughput-${result.date.replace(/[:.]/g, "-")}.json`),
      `${JSON.stringify({ ...result, rounds: runs }, null, 2)}\n`,
    );
    const latest = await readLatest();
    if (latest !== undefined) {
      await writeResults({
        ...latest,
        throughput: result,
        targets: checkTargets(
          latest.scenarios,
          latest.paths.map((p) => p.id),
          result,
          latest.floors,
        ),
      });
    }
    process.stdout.write(
      [
        `Throughput (${result.date.slice(0, 16).replace("T", " ")} UTC, ${options.connections} connections, ${options.rounds} × ${options.durationSeconds} s each, Redis +${options.redisMs} ms)`,
        `  subject: ${subject.label}: ${subjectRps.toFixed(0)} req/s`,
        `  ceiling: one Upstash GET (bench/bare-get-worker.ts): ${ceilingRps.toFixed(0)} req/s`,
        `  ratio: ${result.ratio.toFixed(2)} (target ≥ 0.80)`,
        "",
      ].join("\n"),
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `throughput bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
