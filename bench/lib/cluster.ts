/**
 * The bench hosts' isolates and a client for them: requests are spread over the isolates
 * round-robin (or sent to one) and timed on this process's monotonic clock. The isolates are
 * copies of the bundled bench Worker in workerd ({@link startWorkerdCluster}) or Node processes
 * (`node-cluster.ts`); the client is the same.
 */
import { Agent, request } from "node:http";
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import {
  type BenchHost,
  type BenchPath,
  FLOOR_ROUTES,
  type FloorKind,
  type GateAnswer,
  type IsolateStats,
  type KindCalls,
  type ReadAnswer,
  type WriteAnswer,
} from "../protocol";

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
  byKind: { read: KindCalls; write: KindCalls };
  /** Outbound requests that never settled so far (cancelled with their request), all isolates. */
  stuckInflight: number;
  /** The core's circuit breaker per isolate (`closed`, `open`, `half-open`). */
  breakers: string[];
  /** Failed requests since the last reset: distinct error texts with their counts. */
  errors: Record<string, number>;
};

/** Options of one read. */
export type ReadOptions = {
  /** Send it to this isolate instead of the next one round-robin. */
  isolate?: number;
  /** Hold its loader after the query until the gate is released (see `handler.ts`). */
  gate?: string;
  /** The absent-id budget's identity of the read (core path). @default "bench" */
  client?: string;
};

/** Options of one write. */
export type WriteOptions = {
  /** Send it to this isolate instead of the next one round-robin. */
  isolate?: number;
  /** Set the product's stock to this value (else only its version is bumped). */
  stock?: number;
};

/** A running set of isolates. */
export type Cluster = {
  isolates: number;
  host: BenchHost;
  read(path: BenchPath, id: string, options?: ReadOptions): Promise<ReadSample>;
  write(path: BenchPath, id: string, options?: WriteOptions): Promise<WriteSample>;
  /** Waits until the gated read `token` on `isolate` has read Postgres; the version it read. */
  gateReached(isolate: number, token: string): Promise<GateAnswer>;
  /** Lets the gated read `token` on `isolate` go on. */
  gateRelease(isolate: number, token: string): Promise<void>;
  /**
   * Latency of a floor probe (`FLOOR_ROUTES`), in ms; by default `GET /stats`, with no outbound
   * I/O: the harness's own dispatch overhead.
   */
  ping(kind?: FloorKind): Promise<number>;
  /** A floor probe's latency and, when the probe reports it, its in-Worker time (`serverMs`). */
  probe(kind: FloorKind): Promise<{ latencyMs: number; serverMs: number | null }>;
  /** Zeroes every isolate's counters. */
  resetStats(): Promise<void>;
  /**
   * Waits until no isolate has background work or outbound requests in flight and the counters
   * stopped moving, then returns the summed counters.
   */
  settle(timeoutMs?: number): Promise<ClusterStats>;
  dispose(): Promise<void>;
};

/** How long nothing may move before an in-flight outbound request counts as stuck, in ms. */
const STUCK_AFTER_MS = 3000;

/** One isolate's address: its base URL and the headers that route to it. */
export type Endpoint = { base: string; headers: Record<string, string> };

/** What {@link startWorkerdCluster} needs. */
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
export async function startWorkerdCluster(opts: ClusterOptions): Promise<Cluster> {
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
    // Requests reach the Worker on its own socket: Miniflare's entry Worker, a second JavaScript
    // hop per request that production does not have, took a quarter of a hit's CPU in workerd.
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  // One workerd process per isolate (the default), or all isolates in one process.
  const shared = opts.sharedProcess === true;
  const instances = shared
    ? [new Miniflare({ cf: false, workers: names.map(worker) })]
    : names.map((name) => new Miniflare({ cf: false, workers: [worker(name)] }));
  await Promise.all(instances.map((mf) => mf.ready));
  const endpoints = await Promise.all(
    names.map(async (name, i) => {
      const mf = instances[shared ? 0 : i];
      if (mf === undefined) {
        throw new Error("no Miniflare instance");
      }
      return { base: (await mf.unsafeGetDirectURL(name)).href, headers: {} };
    }),
  );
  return clusterClient("workerd", endpoints, async () => {
    await Promise.all(instances.map((mf) => mf.dispose()));
  });
}

/** The bench client over `endpoints` (one per isolate); `close` stops the isolates. */
export function clusterClient(
  host: BenchHost,
  endpoints: readonly Endpoint[],
  close: () => Promise<void>,
): Cluster {
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  let turn = 0;
  let errors: Record<string, number> = {};
  const noteError = (text: string) => {
    const key = text.slice(0, 200);
    errors[key] = (errors[key] ?? 0) + 1;
  };
  const next = () => turn++ % endpoints.length;
  // Per isolate: outbound requests known never to settle (see `settle`).
  const stuck: number[] = endpoints.map(() => 0);
  let stuckTotal = 0;

  /**
   * Plain `node:http` to the isolate's entry: much less client CPU per request than
   * `dispatchFetch`, which matters when hundreds of answers arrive at once.
   */
  function send(isolate: number, method: string, path: string) {
    const endpoint = endpoints[isolate];
    if (endpoint === undefined) {
      throw new Error(`no isolate ${isolate}`);
    }
    const headers = { ...endpoint.headers, "content-length": "0" };
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(new URL(path, endpoint.base), { method, agent, headers }, (res) => {
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
    isolate: number,
    method: string,
    path: string,
  ): Promise<Sample & { answer?: A; error?: string }> {
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

  async function control(isolate: number, method: string, path: string): Promise<string> {
    const { status, text } = await send(isolate, method, path);
    if (status !== 200) {
      throw new Error(`${method} ${path} on isolate ${isolate} answered ${status}: ${text}`);
    }
    return text;
  }

  async function probe(kind: FloorKind) {
    const isolate = next();
    const started = performance.now();
    const { status, text } = await send(isolate, "GET", FLOOR_ROUTES[kind]);
    const latencyMs = performance.now() - started;
    if (status !== 200) {
      throw new Error(`floor probe ${kind} answered ${status}: ${text.slice(0, 200)}`);
    }
    const { serverMs } = JSON.parse(text) as { serverMs?: number };
    return { latencyMs, serverMs: serverMs ?? null };
  }

  type Reported = IsolateStats & { breaker: string };
  async function allStats(): Promise<Reported[]> {
    return Promise.all(
      endpoints.map(async (_, i) => JSON.parse(await control(i, "GET", "/stats")) as Reported),
    );
  }

  return {
    isolates: endpoints.length,
    host,
    read(path, id, options = {}) {
      const params = new URLSearchParams();
      if (options.gate !== undefined) {
        params.set("gate", options.gate);
      }
      if (options.client !== undefined) {
        params.set("client", options.client);
      }
      const query = params.size === 0 ? "" : `?${params}`;
      return timed<ReadAnswer>(options.isolate ?? next(), "GET", `/read/${path}/${id}${query}`);
    },
    write(path, id, options = {}) {
      const query = options.stock === undefined ? "" : `?stock=${options.stock}`;
      return timed<WriteAnswer>(options.isolate ?? next(), "POST", `/write/${path}/${id}${query}`);
    },
    async gateReached(isolate, token) {
      return JSON.parse(await control(isolate, "GET", `/gate/${token}/reached`)) as GateAnswer;
    },
    async gateRelease(isolate, token) {
      await control(isolate, "POST", `/gate/${token}/release`);
    },
    async ping(kind: FloorKind = "none") {
      return (await probe(kind)).latencyMs;
    },
    probe,
    async resetStats() {
      errors = {};
      await Promise.all(endpoints.map((_, i) => control(i, "POST", "/stats/reset")));
    },
    async settle(timeoutMs = 120_000) {
      const deadline = performance.now() + timeoutMs;
      let previous = "";
      let stableSince = performance.now();
      for (;;) {
        const stats = await allStats();
        const summed = sum(stats);
        const key = JSON.stringify(summed);
        const background = stats.some((s) => s.background > 0);
        if (key !== previous) {
          stableSince = performance.now();
        }
        const unsettled = stats.filter((s, i) => s.inflight > (stuck[i] ?? 0));
        const stable = !background && key === previous;
        // A fetch whose request ended outside `waitUntil` is cancelled by workerd and never
        // settles: once nothing else moves for a while, it is counted as stuck, not waited for.
        if (stable && unsettled.length > 0 && performance.now() - stableSince >= STUCK_AFTER_MS) {
          stats.forEach((s, i) => {
            stuck[i] = s.inflight;
          });
          stuckTotal = stuck.reduce((a, b) => a + b, 0);
        }
        if (stable && stats.every((s, i) => s.inflight <= (stuck[i] ?? 0))) {
          return {
            ...summed,
            stuckInflight: stuckTotal,
            breakers: stats.map((s) => s.breaker),
            errors: { ...errors },
          };
        }
        previous = key;
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
      await close();
    },
  };
}

type Counts = Pick<ClusterStats, "redis" | "postgres" | "other" | "requests" | "byKind">;

function sum(stats: readonly IsolateStats[]): Counts {
  const total: Counts = {
    redis: 0,
    postgres: 0,
    other: 0,
    requests: 0,
    byKind: { read: { redis: 0, postgres: 0 }, write: { redis: 0, postgres: 0 } },
  };
  for (const s of stats) {
    total.redis += s.redis;
    total.postgres += s.postgres;
    total.other += s.other;
    total.requests += s.requests;
    for (const kind of ["read", "write"] as const) {
      total.byKind[kind].redis += s.byKind[kind].redis;
      total.byKind[kind].postgres += s.byKind[kind].postgres;
    }
  }
  return total;
}
