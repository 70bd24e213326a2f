/**
 * Worker isolates in Miniflare for the checker (and its tests), started from a bundle's source
 * text: one workerd process, `count` isolates with their own module state, sharing the backends —
 * what separate edge locations look like to Redis and Postgres.
 */
import type { Readable } from "node:stream";
import { Headers, Miniflare } from "miniflare";
import type { Target } from "./target";

/** What the isolates need from the local stack (a subset of the test harness' `ProvidedStack`). */
export type IsolateStack = {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** The Worker's bindings (wrangler.toml vars, the local servers, the token, the key prefix). */
  bindings: Record<string, string>;
};

/** Running isolates. */
export type Isolates = {
  targets: Target[];
  /** Runs the Worker's `scheduled` handler in isolate `index` (the outbox drain). */
  scheduled(index?: number): Promise<void>;
  dispose(): Promise<void>;
};

/**
 * Starts `count` isolates of the ES module `script` with the stack's bindings plus `bindings`.
 * The source text is passed (not a path): Miniflare names a path outside its working directory
 * `../…`, which workerd refuses.
 */
export async function startIsolates(
  stack: IsolateStack,
  script: string,
  count: number,
  bindings: Record<string, string> = {},
): Promise<Isolates> {
  const names = Array.from({ length: count }, (_, i) => `worker-${i}`);
  const mf = new Miniflare({
    // The Request.cf download would fail offline and is irrelevant here.
    cf: false,
    // The Worker's own log lines (mutants log a lot of errors) unless CHECK_WORKER_LOGS=1.
    ...(process.env.CHECK_WORKER_LOGS === "1" ? {} : { handleRuntimeStdio: drain }),
    workers: names.map((name) => ({
      name,
      modules: true,
      script,
      scriptPath: `${name}.mjs`,
      compatibilityDate: stack.compatibilityDate,
      compatibilityFlags: stack.compatibilityFlags,
      bindings: { ...stack.bindings, ...bindings },
    })),
  });
  await mf.ready;
  const targets = names.map(
    (name): Target => ({
      name,
      async fetch(path, init = {}) {
        const headers = new Headers(init.headers);
        // Miniflare's entry routes on this header and strips it before the Worker sees it.
        headers.set("MF-Route-Override", name);
        return mf.dispatchFetch(new URL(path, "http://127.0.0.1"), {
          method: init.method,
          headers,
          body: init.body,
          signal: init.signal,
        });
      },
    }),
  );
  return {
    targets,
    async scheduled(index = 0) {
      const worker = await mf.getWorker(names[index] ?? "worker-0");
      await worker.scheduled({ cron: "* * * * *" });
    },
    dispose: () => mf.dispose(),
  };
}

function drain(stdout: Readable, stderr: Readable): void {
  stdout.resume();
  stderr.resume();
}
