/**
 * `npm run bench`: the same scenarios through every read path (no cache, the naive recipe, the
 * core, and the peer libraries) side by side in one run, against the local stack with injected
 * round-trip times: inside workerd (Miniflare), except the peers that cannot run there, which run
 * in Node processes against the same servers (see `protocol.ts` `PATH_HOSTS`). Prints a markdown
 * table on stdout (progress on stderr) and writes `bench/results/<timestamp>.json`, `latest.json`,
 * `latest.svg` and the generated section of `docs/benchmarks.md` (all but the first skipped for
 * `--only` and `--paths`). Flags: see `lib/args.ts`.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorker } from "../harness/bundle-worker";
import { parseArgs, USAGE } from "./lib/args";
import { type BenchStack, ROOT, startBenchStack } from "./lib/bench-stack";
import { type Cluster, startWorkerdCluster } from "./lib/cluster";
import { type DispatchFloor, dispatchFloor } from "./lib/dispatch-floor";
import { startNodeCluster } from "./lib/node-cluster";
import { type RelayHandle, startRelay } from "./lib/relay";
import { percentile } from "./lib/summary";
import { startTopologyStack } from "./lib/topology-stack";
import { NAIVE_MAX_TRIES } from "./naive-cache";
import { REDIS_TCP_BINDING } from "./paths/bentocache";
import { BENCH_PATHS, type BenchHost, type BenchPath, PATH_HOSTS } from "./protocol";
import {
  factsLine,
  floorParagraph,
  resultsTable,
  targetsTable,
  topologyTable,
  topologyTargetsTable,
} from "./report/markdown";
import type { PathInfo } from "./report/paths";
import { type BenchResults, checkTargets, type ScenarioResult } from "./report/results";
import { readLatest, writeResults } from "./report/write-results";
import { absentProbing, PROBER_CLIENT } from "./scenarios/absent-probing";
import { coldStampede } from "./scenarios/cold-stampede";
import {
  expiringHotKey,
  expiringHotKeyNoStale,
  SHORT_TTL_SECONDS,
} from "./scenarios/expiring-hot-key";
import { FLASH_READERS, flashSale } from "./scenarios/flash-sale";
import { hitLatency } from "./scenarios/hit-latency";
import { missLatency } from "./scenarios/miss-latency";
import { operationCost } from "./scenarios/operation-cost";
import { MIX_CLIENTS, mixDurationMs, mixFloor, readWriteMix } from "./scenarios/read-write-mix";
import {
  type ClusterKind,
  freshState,
  type Scenario,
  type ScenarioContext,
} from "./scenarios/scenario";
import { staleFillRace } from "./scenarios/stale-fill-race";
import {
  runTopology,
  TOPOLOGY_DELAYS,
  TOPOLOGY_REDIS_TIMEOUT_MS,
  type TopologyResult,
  topologySeedIds,
} from "./scenarios/topology";

const SCENARIOS: readonly Scenario[] = [
  hitLatency,
  missLatency,
  coldStampede,
  absentProbing,
  readWriteMix,
  operationCost,
  staleFillRace,
  // Last on the default isolates: it can leave the core's breaker open for its 10 s.
  flashSale,
  expiringHotKey,
  expiringHotKeyNoStale,
];
const WARM_ID = "warm-1";
/** How long each no-I/O floor runs (`lib/dispatch-floor.ts`). */
const FLOOR_MS = 3_000;
const FLOOR_QUICK_MS = 1_000;
/** npm packages whose version the results name, by path. */
const PEER_PACKAGES: Partial<Record<BenchPath, string>> = {
  cachified: "@epic-web/cachified",
  bentocache: "bentocache",
};

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

/** Loads the scripts, the connections and each isolate's module state on every path it serves. */
async function warmUp(cluster: Cluster, paths: readonly BenchPath[]): Promise<void> {
  for (const path of paths) {
    for (let i = 0; i < cluster.isolates * 3; i++) {
      await cluster.read(path, WARM_ID);
      await cluster.read(path, "warm-absent", { client: PROBER_CLIENT });
    }
    await cluster.write(path, WARM_ID);
    await cluster.read(path, WARM_ID);
  }
  await cluster.settle();
}

async function dispatchOverhead(cluster: Cluster): Promise<number | null> {
  const pings: number[] = [];
  for (let i = 0; i < 50; i++) {
    pings.push(await cluster.ping());
  }
  return percentile(pings, 50);
}

async function packageVersion(name: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(
      await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8"),
    ) as { version?: string };
    return manifest.version;
  } catch {
    return undefined;
  }
}

type Running = { kind: ClusterKind; clusters: Partial<Record<BenchHost, Cluster>> };

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseArgs(argv);
  const paths = BENCH_PATHS.filter((p) => options.paths.length === 0 || options.paths.includes(p));
  const hosts = [...new Set(paths.map((p) => PATH_HOSTS[p]))];
  const loadBefore = loadavg();
  progress(`load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")}; starting the stack`);
  const stack = await startBenchStack();
  const outDir = await mkdtemp(join(tmpdir(), "eca-bench-"));
  let relay: RelayHandle | undefined;
  let running: Running | undefined;
  const stopClusters = async () => {
    const clusters = Object.values(running?.clusters ?? {});
    running = undefined;
    await Promise.all(clusters.map((c) => c.dispose().catch(() => {})));
  };
  const cleanup = async () => {
    await stopClusters();
    await relay?.close().catch(() => {});
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
  const overhead: Partial<Record<BenchHost, number | null>> = {};
  let floors: DispatchFloor[] | undefined;
  let topology: TopologyResult | undefined;
  try {
    await stack.setLatency(options.redisMs, options.dbMs, {
      redisMs: options.redisJitterMs,
      dbMs: options.dbJitterMs,
    });
    if (hosts.includes("node")) {
      relay = await startRelay(ROOT, process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
      await relay.setLatency({ latencyMs: options.redisMs, jitterMs: options.redisJitterMs });
    }
    await stack.seed([WARM_ID, ...SCENARIOS.flatMap((s) => s.seedIds(options))]);
    const scriptPath = await bundleWorker(join(ROOT, "bench/worker.ts"), outDir);
    const start = (host: BenchHost, kind: ClusterKind): Promise<Cluster> => {
      const bindings = { ...stack.bindings, ...CLUSTER_BINDINGS[kind], ...options.vars };
      if (host === "node") {
        const url = relay?.url ?? "";
        return startNodeCluster({
          root: ROOT,
          isolates: options.isolates,
          bindings: { ...bindings, [REDIS_TCP_BINDING]: url },
        });
      }
      return startWorkerdCluster({
        scriptPath,
        isolates: options.isolates,
        bindings,
        compatibilityDate: stack.compatibilityDate,
        compatibilityFlags: stack.compatibilityFlags,
      });
    };
    const clustersFor = async (kind: ClusterKind): Promise<Running["clusters"]> => {
      if (running?.kind === kind) {
        return running.clusters;
      }
      await stopClusters();
      progress(`starting ${options.isolates} isolates per host (${kind}): ${hosts.join(", ")}`);
      const clusters: Running["clusters"] = {};
      running = { kind, clusters };
      for (const host of hosts) {
        const cluster = await start(host, kind);
        clusters[host] = cluster;
        await warmUp(
          cluster,
          paths.filter((p) => PATH_HOSTS[p] === host),
        );
        overhead[host] ??= await dispatchOverhead(cluster);
        if (host === "workerd" && kind === "default" && floors === undefined) {
          progress(
            "floors (no I/O, one Redis GET) at the mix's and the flash sale's concurrency, and the mix's",
          );
          const ms = options.quick ? FLOOR_QUICK_MS : FLOOR_MS;
          floors = [];
          for (const kind of ["none", "one-get"] as const) {
            for (const clients of [MIX_CLIENTS, FLASH_READERS]) {
              floors.push(await dispatchFloor(cluster, kind, clients, ms));
            }
          }
          floors.push(await mixFloor(cluster, options.seed, mixDurationMs(options.quick)));
          await cluster.settle();
        }
      }
      return clusters;
    };

    const selected = SCENARIOS.filter(
      (s) => options.only.length === 0 || options.only.includes(s.id),
    );
    const steps = selected.length * paths.length;
    let step = 0;
    for (const scenario of selected) {
      const clusters = await clustersFor(scenario.cluster);
      const metrics: ScenarioResult["metrics"] = {};
      const diagnostics: ScenarioResult["diagnostics"] = {};
      const contextOf = (path: BenchPath): ScenarioContext => {
        const cluster = clusters[PATH_HOSTS[path]];
        if (cluster === undefined) {
          throw new Error(`no ${PATH_HOSTS[path]} cluster for ${path}`);
        }
        return { cluster, stack, options, fresh: () => freshState(cluster, stack) };
      };
      const diagnose = async (path: BenchPath, cluster: Cluster) => {
        const { breakers, errors, stuckInflight } = await cluster.settle();
        diagnostics[path] = { breakers, errors, stuckInflight };
        if (
          Object.keys(errors).length > 0 ||
          breakers.some((b) => b !== "closed") ||
          stuckInflight > 0
        ) {
          progress(
            `  breakers ${breakers.join(", ")}; errors ${JSON.stringify(errors)}; stuck outbound requests so far ${stuckInflight}`,
          );
        }
      };
      if (scenario.runInterleaved !== undefined) {
        step += paths.length;
        progress(`[${step}/${steps}] ${scenario.title} · ${paths.join(", ")}, interleaved`);
        const contexts = paths.map((path) => ({ path, ctx: contextOf(path) }));
        const results = await scenario.runInterleaved(contexts);
        for (const [i, { path, ctx }] of contexts.entries()) {
          metrics[path] = results[i] ?? {};
          await diagnose(path, ctx.cluster);
        }
      } else {
        for (const path of paths) {
          step += 1;
          progress(`[${step}/${steps}] ${scenario.title} · ${path}`);
          const ctx = contextOf(path);
          metrics[path] = await scenario.run(ctx, path);
          await diagnose(path, ctx.cluster);
        }
      }
      const { id, title, description, rows } = scenario;
      scenarios.push({ id, title, description, rows, metrics, diagnostics });
    }
    const wantTopology =
      (options.only.length === 0 || options.only.includes("topology")) &&
      (options.paths.length === 0 || options.paths.includes("core"));
    if (wantTopology) {
      // The main isolates would only compete for the CPU.
      await stopClusters();
      topology = await topologyRun(scriptPath, options);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
  await report(stack, {
    scenarios,
    topology,
    floors,
    paths,
    overhead,
    loadBefore,
    partial:
      options.only.length > 0 || options.paths.length > 0 || Object.keys(options.vars).length > 0,
    options,
  });
}

/** The simulated topology on its own stack and isolates (see `scenarios/topology.ts`). */
async function topologyRun(
  scriptPath: string,
  options: ReturnType<typeof parseArgs>,
): Promise<TopologyResult> {
  progress("starting the simulated topology (replicas, route delays)");
  const topo = await startTopologyStack(ROOT, TOPOLOGY_DELAYS);
  const started: Cluster[] = [];
  try {
    await topo.seed([WARM_ID, ...topologySeedIds(options.quick)]);
    const clusterOf = async (consistency: "strong" | "nearest") => {
      const cluster = await startWorkerdCluster({
        scriptPath,
        isolates: options.isolates,
        bindings: {
          ...topo.bindings,
          READ_CONSISTENCY: consistency,
          // The 150 ms default is below an 80 ms primary plus this machine's overhead.
          REDIS_TIMEOUT_MS: String(TOPOLOGY_REDIS_TIMEOUT_MS),
          // strong: no database replica either (today's behaviour); an empty value is unset.
          ...(consistency === "strong" ? { DATABASE_REPLICA_URL: "" } : {}),
        },
        compatibilityDate: topo.compatibilityDate,
        compatibilityFlags: topo.compatibilityFlags,
      });
      started.push(cluster);
      await warmUp(cluster, ["naive", "core"]);
      return cluster;
    };
    const clusters = { strong: await clusterOf("strong"), nearest: await clusterOf("nearest") };
    return await runTopology({ stack: topo, clusters, quick: options.quick, progress });
  } finally {
    await Promise.all(started.map((c) => c.dispose().catch(() => {})));
    await topo.close();
  }
}

type Collected = {
  topology: TopologyResult | undefined;
  floors: DispatchFloor[] | undefined;
  scenarios: ScenarioResult[];
  paths: readonly BenchPath[];
  overhead: Partial<Record<BenchHost, number | null>>;
  loadBefore: number[];
  partial: boolean;
  options: ReturnType<typeof parseArgs>;
};

async function report(stack: BenchStack, run: Collected): Promise<void> {
  const { options } = run;
  const previous = await readLatest();
  const machineCpus = cpus();
  const pathInfo: PathInfo[] = await Promise.all(
    run.paths.map(async (id) => {
      const pkg = PEER_PACKAGES[id];
      const version = pkg === undefined ? undefined : await packageVersion(pkg);
      return { id, host: PATH_HOSTS[id], ...(version === undefined ? {} : { version }) };
    }),
  );
  const nodeOverhead = run.overhead.node;
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      node: process.versions.node,
      platform: `${process.platform} ${process.arch}`,
      cpus: machineCpus.length,
      cpuModel: machineCpus[0]?.model.trim() ?? "unknown",
      loadAverage: { before: run.loadBefore, after: loadavg() },
    },
    settings: {
      ...options,
      compatibilityDate: stack.compatibilityDate,
      compatibilityFlags: stack.compatibilityFlags,
      naiveMaxTries: NAIVE_MAX_TRIES,
      dispatchOverheadP50Ms: run.overhead.workerd ?? null,
    },
    paths: pathInfo,
    ...(nodeOverhead === undefined
      ? {}
      : {
          nodeNote: `Node-hosted paths: ${options.isolates} Node processes, ioredis over TCP through a relay adding the same Redis round trip, dispatch overhead p50 ${nodeOverhead?.toFixed(1) ?? "n/a"} ms`,
        }),
    scenarios: run.scenarios,
    ...(run.topology === undefined ? {} : { topology: run.topology }),
    ...(run.floors === undefined ? {} : { floors: run.floors }),
    targets: checkTargets(run.scenarios, run.paths, previous?.throughput, run.floors),
    ...(previous?.throughput === undefined ? {} : { throughput: previous.throughput }),
    durationSeconds: (performance.now() - began) / 1000,
  };
  const written = await writeResults(results, run.partial);
  progress(`wrote ${written.join(", ")}`);
  process.stdout.write(
    [
      `## Bench results\n`,
      factsLine(results),
      "",
      resultsTable(results),
      "",
      targetsTable(results),
      "",
      ...(results.floors === undefined ? [] : [floorParagraph(results), ""]),
      ...(results.topology === undefined
        ? []
        : [topologyTable(results.topology), "", topologyTargetsTable(results.topology), ""]),
      `End-to-end times are measured by the bench (Node) around each request; "in-Worker" times are the host's own clock. The naive recipe's retry recursion is capped at ${NAIVE_MAX_TRIES} tries for the bench (a capped request counts as an error).`,
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
