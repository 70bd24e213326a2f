/**
 * Runs the bundled Worker in workerd (Miniflare) against this run's stack.
 *
 * `startWorkers(n)` starts n Workers as separate isolates (`harness/isolates.ts`: separate module
 * state, one workerd process), all sharing the run's Redis and database — what two edge locations
 * look like to the shared backends.
 */
import type { Miniflare } from "miniflare";
import { inject } from "vitest";
import { type Isolate, startIsolates } from "../../harness/isolates";

/** One Worker isolate. */
export type WorkerHandle = Isolate;

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
  const group = await startIsolates({
    count,
    source:
      opts.script === undefined ? { scriptPath: stack.workerScriptPath } : { script: opts.script },
    compatibilityDate: stack.compatibilityDate,
    compatibilityFlags: stack.compatibilityFlags,
    bindings: { ...stack.bindings, ...opts.bindings },
    ...(opts.onOutput === undefined ? {} : { onOutput: opts.onOutput }),
  });
  return { workers: group.isolates, mf: group.mf, dispose: group.dispose };
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
