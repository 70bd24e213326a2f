/**
 * The bench Worker running as N isolates in one workerd (Miniflare), with a client that spreads
 * requests over them round-robin and times each one on this process's monotonic clock.
 */
import { Agent, request } from "node:http";
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import type { BenchPath, IsolateStats, ReadAnswer, WriteAnswer } from "../protocol";

/** One timed request. Times are `performance.now()` of this process (one monotonic clock). */
export type Sample = {
  /** When the request was sent. */
  invokedAt: number;
  /** When its whole answer had arrived. */
  completedAt: number;
  /** `completedAt - invokedAt`. */
  latencyMs: number;
  /** HTTP status (0 when the request itself failed). */
  httpStatus: number;
  /** Isolate index that served it. */
  isolate: number;
};

/** A timed read. `answer` is absent when the read failed. */
export type ReadSample = Sample & { answer?: ReadAnswer; error?: string };

/** A timed write. */
export type WriteSample = Sample & { answer?: WriteAnswer; error?: string };

/** Outbound round trips of all isolates together, plus what went wrong since the last reset. */
export type ClusterStats = Pick<IsolateStats, "redis" | "postgres" | "other" | "requests"> & {
  /** The core's circuit breaker per isolate (`closed`, `open`, `half-open`). */
  breakers: string[];
  /** Failed requests since the last reset: distinct error texts with their counts. */
  errors: Record<string, number>;
};

/** A running set of isolates. */
export type Cluster = {
  isolates: number;
  read(path: BenchPath, id: string): Promise<ReadSample>;
  write(path: BenchPath, id: string): Promise<WriteSample>;
  /** Latency of `GET /stats` (no outbound I/O): the harness's own dispatch overhead, in ms. */
  ping(): Promise<number>;
  /** Zeroes every isolate's counters. */
  resetStats(): Promise<void>;
  /**
   * Waits until no isolate has background work or outbound requests in flight and the counters
   * stopped moving, then returns the summed counters.
   */
  settle(timeoutMs?: number): Promise<ClusterStats>;
  dispose(): Promise<void>;
};

/** What {@link startCluster} needs. */
export type ClusterOptions = {
  scriptPath: string;
  isolates: number;
  bindings: Record<string, string>;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Run every isolate in one workerd process instead of one process each. @default false */
  sharedProcess?: boolean;
};

/** Starts `isolates` copies of the bundled bench Worker as separate isolates. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const names = Array.from({ length: opts.isolates }, (_, i) => `bench-${i}`);
  const worker = (name: string) => ({
    name,
    modules: true,
    scriptPath: opts.scriptPath,
    // Module names are relative to this; the bundle lives outside the working directory.
    modulesRoot: dirname(opts.scriptPath),
    compatibilityDate: opts.compatibilityDate,
    compatibilityFlags: opts.compatibilityFlags,
    bindings: opts.bindings,
  });
  // One workerd process per isolate (the default), or all isolates in one process.
  const instances =
    opts.sharedProcess === true
      ? [new Miniflare({ cf: false, workers: names.map(worker) })]
      : names.map((name) => new Miniflare({ cf: false, workers: [worker(name)] }));
  const urls = await Promise.all(instances.map((mf) => mf.ready));
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let turn = 0;
  let errors: Record<string, number> = {};
  const noteError = (text: string) => {
    const key = text.slice(0, 200);
    errors[key] = (errors[key] ?? 0) + 1;
  };

  /**
   * Plain `node:http` to the isolate's workerd entry: much less client CPU per request than
   * `dispatchFetch`, which matters when hundreds of answers arrive at once.
   */
  function send(isolate: number, method: string, path: string) {
    const base = urls[opts.sharedProcess === true ? 0 : isolate] ?? urls[0];
    if (base === undefined) {
      throw new Error("no Miniflare instance");
    }
    // Miniflare's entry routes on this header when several Workers share one workerd.
    const headers = { "MF-Route-Override": names[isolate] ?? "bench-0", "content-length": "0" };
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(new URL(path, base), { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  }

  async function timed<A>(
    method: string,
    path: string,
  ): Promise<Sample & { answer?: A; error?: string }> {
    const isolate = turn++ % names.length;
    const invokedAt = performance.now();
    try {
      const { status, text } = await send(isolate, method, path);
      const completedAt = performance.now();
      const base = {
        invokedAt,
        completedAt,
        latencyMs: completedAt - invokedAt,
        httpStatus: status,
        isolate,
      };
      if (status !== 200) {
        noteError(`${status} ${text}`);
        return { ...base, error: text.slice(0, 300) };
      }
      return { ...base, answer: JSON.parse(text) as A };
    } catch (err: unknown) {
      const completedAt = performance.now();
      noteError(err instanceof Error ? err.message : String(err));
      return {
        invokedAt,
        completedAt,
        latencyMs: completedAt - invokedAt,
        httpStatus: 0,
        isolate,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  type Reported = IsolateStats & { breaker: string };
  async function allStats(): Promise<Reported[]> {
    return Promise.all(
      names.map(async (_, i) => JSON.parse((await send(i, "GET", "/stats")).text) as Reported),
    );
  }

  return {
    isolates: names.length,
    read: (path, id) => timed<ReadAnswer>("GET", `/read/${path}/${id}`),
    write: (path, id) => timed<WriteAnswer>("POST", `/write/${path}/${id}`),
    async ping() {
      const isolate = turn++ % names.length;
      const started = performance.now();
      await send(isolate, "GET", "/stats");
      return performance.now() - started;
    },
    async resetStats() {
      errors = {};
      await Promise.all(names.map((_, i) => send(i, "POST", "/stats/reset")));
    },
    async settle(timeoutMs = 30_000) {
      const deadline = performance.now() + timeoutMs;
      let previous = "";
      for (;;) {
        const stats = await allStats();
        const quiet = stats.every((s) => s.background === 0 && s.inflight === 0);
        const summed = sum(stats);
        const key = JSON.stringify(summed);
        if (quiet && key === previous) {
          return { ...summed, breakers: stats.map((s) => s.breaker), errors: { ...errors } };
        }
        previous = quiet ? key : "";
        if (performance.now() > deadline) {
          throw new Error(
            `isolates did not settle within ${timeoutMs} ms: ${JSON.stringify(stats)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async dispose() {
      agent.destroy();
      await Promise.all(instances.map((mf) => mf.dispose()));
    },
  };
}

type Counts = Pick<IsolateStats, "redis" | "postgres" | "other" | "requests">;

function sum(stats: readonly IsolateStats[]): Counts {
  const total: Counts = { redis: 0, postgres: 0, other: 0, requests: 0 };
  for (const s of stats) {
    total.redis += s.redis;
    total.postgres += s.postgres;
    total.other += s.other;
    total.requests += s.requests;
  }
  return total;
}
