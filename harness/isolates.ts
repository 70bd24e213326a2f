/**
 * Worker isolates in workerd (Miniflare): `count` named Workers in one workerd process, each with
 * its own module state (caches, coalescing maps, circuit breakers), all sharing the backends —
 * what separate edge locations look like to Redis and Postgres. The integration tests, the drills
 * and the consistency checker all start their Workers here.
 */
import { dirname } from "node:path";
import type { Readable } from "node:stream";
import { Headers, Miniflare, type RequestInit, type Response } from "miniflare";

/** One Worker isolate. */
export type Isolate = {
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

/** Isolates started together. */
export type IsolateGroup = {
  isolates: Isolate[];
  /** The Miniflare instance (for anything the helpers do not cover). */
  mf: Miniflare;
  /** Stops workerd. */
  dispose(): Promise<void>;
};

/**
 * The Worker's code: a bundle on disk, or an ES module's source text. Source text suits a bundle
 * built in memory (the checker's mutants): Miniflare names a path outside its working directory
 * `../…`, which workerd refuses, so a file is loaded relative to its own folder instead.
 */
export type WorkerSource = { scriptPath: string } | { script: string };

/** Options of {@link startIsolates}. */
export type StartIsolatesOptions = {
  /** How many isolates. */
  count: number;
  source: WorkerSource;
  /** `compatibility_date` of wrangler.toml. */
  compatibilityDate: string;
  /** `compatibility_flags` of wrangler.toml. */
  compatibilityFlags: string[];
  /** Every binding each isolate gets. */
  bindings: Record<string, string>;
  /** Receives what the Workers write to stdout and stderr. @default Miniflare's own output */
  onOutput?: (text: string) => void;
};

/**
 * Set to `1` to see the Workers' log lines where {@link quietOutput} drops them (named for the
 * checker, whose mutants log a lot of errors; the fault drills provoke many too).
 */
export const WORKER_LOGS_ENV = "CHECK_WORKER_LOGS";

/** Options that drop the Workers' output, unless `CHECK_WORKER_LOGS=1` (then Miniflare's own). */
export function quietOutput(): Pick<StartIsolatesOptions, "onOutput"> {
  return process.env[WORKER_LOGS_ENV] === "1" ? {} : { onOutput: () => {} };
}

/** The default `cron` of {@link Isolate.scheduled} (Miniflare needs one; the Worker ignores it). */
export const DEFAULT_CRON = "* * * * *";

// Anything: Miniflare only uses the host to pick a route, and the Worker sees this origin.
const ORIGIN = "http://127.0.0.1";

/** Starts `opts.count` isolates of one Worker with the same bindings. */
export async function startIsolates(opts: StartIsolatesOptions): Promise<IsolateGroup> {
  const names = Array.from({ length: opts.count }, (_, i) => `worker-${i}`);
  const mf = new Miniflare({
    // The Request.cf download would fail offline and is irrelevant to this project.
    cf: false,
    ...(opts.onOutput === undefined ? {} : { handleRuntimeStdio: forwardTo(opts.onOutput) }),
    workers: names.map((name) => ({
      name,
      modules: true,
      ...moduleOf(opts.source, name),
      compatibilityDate: opts.compatibilityDate,
      compatibilityFlags: opts.compatibilityFlags,
      bindings: opts.bindings,
    })),
  });
  await mf.ready;
  const isolates = names.map(
    (name): Isolate => ({
      name,
      fetch(path, init = {}) {
        const headers = new Headers(init.headers);
        // Miniflare's entry worker routes on this header; it is removed before the Worker sees it.
        headers.set("MF-Route-Override", name);
        return mf.dispatchFetch(new URL(path, ORIGIN), { ...init, headers });
      },
      async scheduled(cron = DEFAULT_CRON) {
        const worker = await mf.getWorker(name);
        await worker.scheduled({ cron });
      },
    }),
  );
  return { isolates, mf, dispose: () => mf.dispose() };
}

function moduleOf(source: WorkerSource, name: string) {
  return "script" in source
    ? { script: source.script, scriptPath: `${name}.mjs` }
    : // Module names are paths relative to modulesRoot; workerd refuses ones that start with "..".
      { scriptPath: source.scriptPath, modulesRoot: dirname(source.scriptPath) };
}

function forwardTo(sink: (text: string) => void) {
  return (stdout: Readable, stderr: Readable) => {
    for (const stream of [stdout, stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => sink(chunk));
    }
  };
}
