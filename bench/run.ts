/**
 * `npm run bench`: the same scenarios through three read paths (no cache, the naive recipe, the
 * core) side by side in one run, inside workerd (Miniflare) against the local stack with injected
 * round-trip times. Prints a markdown table on stdout (progress on stderr) and writes
 * `bench/results/<timestamp>.json`, `latest.json`, `latest.svg` and the generated section of
 * `docs/benchmarks.md` (all but the first skipped for `--only`). Flags: see `lib/args.ts`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorker } from "../harness/bundle-worker";
import { parseArgs, USAGE } from "./lib/args";
import { ROOT, startBenchStack } from "./lib/bench-stack";
import { type Cluster, startCluster } from "./lib/cluster";
import { percentile } from "./lib/summary";
import { NAIVE_MAX_TRIES } from "./naive-cache";
import type { BenchPath } from "./protocol";
import { factsLine, resultsTable, targetsTable } from "./report/markdown";
import { type BenchResults, checkTargets, type ScenarioResult } from "./report/results";
import { readLatest, writeResults } from "./report/write-results";
import { absentProbing } from "./scenarios/absent-probing";
import { coldStampede } from "./scenarios/cold-stampede";
import {
  expiringHotKey,
  expiringHotKeyNoStale,
  SHORT_TTL_SECONDS,
} from "./scenarios/expiring-hot-key";
import { hitLatency } from "./scenarios/hit-latency";
import { missLatency } from "./scenarios/miss-latency";
import { readWriteMix } from "./scenarios/read-write-mix";
import { type ClusterKind, freshState, type Metrics, type Scenario } from "./scenarios/scenario";

const SCENARIOS: readonly Scenario[] = [
  hitLatency,
  missLatency,
  coldStampede,
  absentProbing,
  readWriteMix,
  expiringHotKey,
  expiringHotKeyNoStale,
];
const PATHS: readonly BenchPath[] = ["nocache", "naive", "core"];
const WARM_ID = "warm-1";

/** Bindings that differ per cluster kind (on top of wrangler.toml and the stack's). */
const CLUSTER_BINDINGS: Record<ClusterKind, Record<string, string>> = {
  default: {},
  "short-ttl": { CACHE_TTL_SECONDS: String(SHORT_TTL_SECONDS) },
  "short-ttl-no-stale": { CACHE_TTL_SECONDS: String(SHORT_TTL_SECONDS), STALE_TTL_SECONDS: "0" },
};

const began = performance.now();
function progress(line: string): void {
  process.stderr.write(
    `[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`,
  );
}

/** Loads the scripts, the connections and each isolate's module state on every path. */
async function warmUp(cluster: Cluster): Promise<void> {
  for (const path of PATHS) {
    for (let i = 0; i < cluster.isolates * 3; i++) {
      await cluster.read(path, WARM_ID);
      await cluster.read(path, "warm-absent");
    }
    await cluster.write(path, WARM_ID);
    await cluster.read(path, WARM_ID);
  }
  await cluster.settle();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseArgs(argv);
  const loadBefore = loadavg();
  progress(`load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}; starting the stack`);
  const stack = await startBenchStack();
  const outDir = await mkdtemp(join(tmpdir(), "eca-bench-"));
  let cluster: { kind: ClusterKind; cluster: Cluster } | undefined;
  const cleanup = async () => {
    await cluster?.cluster.dispose().catch(() => {});
    cluster = undefined;
    await stack.close().catch((err: unknown) => progress(`stack close failed: ${String(err)}`));
    await rm(outDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    progress("interrupted; stopping everything");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const scenarios: ScenarioResult[] = [];
  let dispatchOverheadP50Ms: number | null = null;
  try {
    await stack.setLatency(options.redisMs, options.dbMs, {
      redisMs: options.redisJitterMs,
      dbMs: options.dbJitterMs,
    });
    await stack.seed([WARM_ID, ...SCENARIOS.flatMap((s) => s.seedIds(options))]);
    const scriptPath = await bundleWorker(join(ROOT, "bench/worker.ts"), outDir);
    const clusterFor = async (kind: ClusterKind): Promise<Cluster> => {
      if (cluster?.kind === kind) {
        return cluster.cluster;
      }
      await cluster?.cluster.dispose();
      progress(`starting ${options.isolates} isolates (${kind})`);
      const started = await startCluster({
        scriptPath,
        isolates: options.isolates,
        bindings: { ...stack.bindings, ...CLUSTER_BINDINGS[kind] },
        compatibilityDate: stack.compatibilityDate,
        compatibilityFlags: stack.compatibilityFlags,
      });
      cluster = { kind, cluster: started };
      await warmUp(started);
      if (dispatchOverheadP50Ms === null) {
        const pings: number[] = [];
        for (let i = 0; i < 50; i++) {
          pings.push(await started.ping());
        }
        dispatchOverheadP50Ms = percentile(pings, 50);
      }
      return started;
    };

    const selected = SCENARIOS.filter(
      (s) => options.only.length === 0 || options.only.includes(s.id),
    );
    const steps = selected.length * PATHS.length;
    let step = 0;
    for (const scenario of selected) {
      const running = await clusterFor(scenario.cluster);
      const metrics = {} as Record<BenchPath, Metrics>;
      const diagnostics = {} as ScenarioResult["diagnostics"];
      for (const path of PATHS) {
        step += 1;
        progress(`[${step}/${steps}] ${scenario.title} · ${path}`);
        const ctx = {
          cluster: running,
          stack,
          options,
          fresh: () => freshState(running, stack),
        };
        metrics[path] = await scenario.run(ctx, path);
        const { breakers, errors } = await running.settle();
        diagnostics[path] = { breakers, errors };
        if (Object.keys(errors).length > 0 || breakers.some((b) => b !== "closed")) {
          progress(`  breakers ${breakers.join(", ")}; errors ${JSON.stringify(errors)}`);
        }
      }
      const { id, title, description, rows } = scenario;
      scenarios.push({ id, title, description, rows, metrics, diagnostics });
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }

  const previous = await readLatest();
  const machineCpus = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      node: process.versions.node,
      platform: `${process.platform} ${process.arch}`,
      cpus: machineCpus.length,
      cpuModel: machineCpus[0]?.model.trim() ?? "unknown",
      loadAverage: { before: loadBefore, after: loadavg() },
    },
    settings: {
      ...options,
      compatibilityDate: stack.compatibilityDate,
      compatibilityFlags: stack.compatibilityFlags,
      naiveMaxTries: NAIVE_MAX_TRIES,
      dispatchOverheadP50Ms,
    },
    scenarios,
    targets: checkTargets(scenarios, previous?.throughput),
    ...(previous?.throughput === undefined ? {} : { throughput: previous.throughput }),
    durationSeconds: (performance.now() - began) / 1000,
  };
  const written = await writeResults(results, options.only.length > 0);
  progress(`wrote ${written.join(", ")}`);
  process.stdout.write(
    [
      `## Bench results\n`,
      factsLine(results),
      "",
      resultsTable(results),
      "",
      targetsTable(results.targets),
      "",
      `End-to-end times are measured by the bench (Node) around each request through Miniflare; "in-Worker" times are the Worker's own clock. The naive recipe's retry recursion is capped at ${NAIVE_MAX_TRIES} tries for the bench (a capped request counts as an error).`,
      "",
    ].join("\n"),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
