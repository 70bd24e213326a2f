/**
 * Runs the bundled Worker in workerd (Miniflare) against this run's stack.
 *
 * `startWorkers(n)` starts n Workers as separate isolates (separate module state: caches,
 * coalescing maps, circuit breakers) in one workerd process, all sharing the run's Redis and
 * database — what two edge locations look like to the shared backends.
 */
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { Headers, Miniflare, type RequestInit, type Response } from "miniflare";
import { inject } from "vitest";

/** One Worker isolate. */
export type WorkerHandle = {
  /** Its Miniflare worker name (`worker-0`, `worker-1`, …). */
  name: string;
  /**
   * Sends a request to this isolate through Miniflare's entry, like `wrangler dev` does (so the
   * Worker sees `CF-Connecting-IP` and a `http://127.0.0.1/…` URL). `path` is relative to `/`.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Runs the Worker's `scheduled` handler once. @param cron @default "* * * * *" */
  scheduled(cron?: string): Promise<void>;
};

/** Workers started together. */
export type WorkerGroup = {
  workers: WorkerHandle[];
  /** The Miniflare instance (for anything the helpers do not cover). */
  mf: Miniflare;
  /** Stops workerd. */
  dispose(): Promise<void>;
};

/** One Worker plus its `dispose`. */
export type SingleWorker = WorkerHandle & { mf: Miniflare; dispose(): Promise<void> };

/** Options of {@link startWorkers}. */
export type StartWorkersOptions = {
  /** Bindings replacing or adding to the run's (e.g. `{ CACHE_TTL_SECONDS: "1" }`). @default {} */
  bindings?: Record<string, string>;
  /** An ES module Worker as source text, instead of the bundled `src/index.ts`. @default undefined */
  script?: string;
  /** Receives what the Workers write to stdout and stderr (their log lines). @default Miniflare's own output */
  onOutput?: (text: string) => void;
};

// Anything: Miniflare only uses the host to pick a route, and the Worker sees this origin.
const ORIGIN = "http://127.0.0.1";

/**
 * Starts `count` isolates of the Worker with the run's bindings (wrangler.toml `[vars]`, the local
 * servers, the run's database and key prefix) plus `opts.bindings`.
 */
export async function startWorkers(
  count: number,
  opts: StartWorkersOptions = {},
): Promise<WorkerGroup> {
  const stack = inject("stack");
  if (opts.script === undefined && stack.workerScriptPath === "") {
    throw new Error("src/index.ts does not exist yet, so there is no Worker bundle to start");
  }
  const source =
    opts.script === undefined
      ? // Module names are paths relative to modulesRoot; workerd refuses ones that start with "..".
        { scriptPath: stack.workerScriptPath, modulesRoot: dirname(stack.workerScriptPath) }
      : { script: opts.script, scriptPath: "inline-worker.mjs" };
  const names = Array.from({ length: count }, (_, i) => `worker-${i}`);
  const mf = new Miniflare({
    // The Request.cf download would fail offline and is irrelevant to this project.
    cf: false,
    ...(opts.onOutput === undefined ? {} : { handleRuntimeStdio: forwardTo(opts.onOutput) }),
    workers: names.map((name) => ({
      name,
      modules: true,
      ...source,
      compatibilityDate: stack.compatibilityDate,
      compatibilityFlags: stack.compatibilityFlags,
      bindings: { ...stack.bindings, ...opts.bindings },
    })),
  });
  await mf.ready;
  const workers = names.map(
    (name): WorkerHandle => ({
      name,
      fetch(path, init = {}) {
        const headers = new Headers(init.headers);
        // Miniflare's entry worker routes on this header; it is removed before the Worker sees it.
        headers.set("MF-Route-Override", name);
        return mf.dispatchFetch(new URL(path, ORIGIN), { ...init, headers });
      },
      async scheduled(cron = "* * * * *") {
        const worker = await mf.getWorker(name);
        await worker.scheduled({ cron });
      },
    }),
  );
  return { workers, mf, dispose: () => mf.dispose() };
}

/** Starts one isolate of the Worker; see {@link startWorkers}. */
export async function startWorker(overrides: Record<string, string> = {}): Promise<SingleWorker> {
  const group = await startWorkers(1, { bindings: overrides });
  const [worker] = group.workers;
  if (worker === undefined) {
    throw new Error("startWorkers(1) returned no worker");
  }
  return { ...worker, mf: group.mf, dispose: group.dispose };
}

function forwardTo(sink: (text: string) => void) {
  return (stdout: Readable, stderr: Readable) => {
    for (const stream of [stdout, stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => sink(chunk));
    }
  };
}
