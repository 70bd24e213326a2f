/**
 * The bench protocol over any set of read paths, as a fetch handler: the Worker (`worker.ts`) serves
 * it from workerd, `node-host.ts` from Node, with the same code.
 *
 * - `GET /read/:path/:id[?gate=T]` → {@link ReadAnswer}. With `gate`, the read's loader stops after
 *   its Postgres query until `POST /gate/T/release` (the forced stale-fill race).
 * - `POST /write/:path/:id[?stock=N]` → {@link WriteAnswer}: the path's write (version + 1, and
 *   `stock = N` when given), then the path's invalidation.
 * - `GET /gate/T/reached` → {@link GateAnswer} once the gated read's loader has read Postgres.
 * - `GET /stats`, `POST /stats/reset`: the isolate's exact round-trip counters (`worker-stats.ts`)
 *   and the state of the core's circuit breaker.
 * - `GET /floor/one-get`: one plain Upstash REST `GET` and nothing else (the one-round-trip floor).
 * - `GET /floor/nearest-miss`: a plain `GET`, `SET` and replica `SELECT 1`, in sequence, and
 *   nothing else (the floor of a `nearest` miss) → `{ serverMs }`.
 *
 * `serverMs` is the time from the handler's start to its answer on the host's clock (workerd
 * advances it across I/O).
 */
import { type BackgroundContext, sharedBreaker } from "lease-cache";
import { PRODUCT_ID_PATTERN } from "../src/db/product-id";
import { parseEnv } from "../src/env";
import { NaiveGaveUpError } from "./naive-cache";
import type { BenchPathImpl, PathContext, ReadHooks, WriteChange } from "./paths/path";
import { BENCH_PATHS, type BenchPath, FLOOR_KEY, FLOOR_ROUTES, type GateAnswer } from "./protocol";
import {
  installFetchCounter,
  readStats,
  resetStats,
  trackedBackground,
  withRequestScope,
} from "./worker-stats";

/** How long a gated loader or a `/gate/T/reached` waits before giving up, in ms. */
export const GATE_TIMEOUT_MS = 10_000;

/** The handler: a request, the bindings, a background context. */
export type BenchHandler = (
  request: Request,
  env: Record<string, string>,
  background: BackgroundContext,
) => Promise<Response>;

const ID = PRODUCT_ID_PATTERN.source.slice(1, -1);
const ROUTE = new RegExp(`^/(read|write)/(${BENCH_PATHS.join("|")})/(${ID})$`);
const GATE_ROUTE = new RegExp(`^/gate/(${ID})/(reached|release)$`);

type Deferred<T> = { promise: Promise<T>; resolve(value: T): void };
function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A gate between a held read and the runner's `/gate` requests. workerd cancels the continuation of
 * a promise whose creating request has finished, so each side waits only on a promise its own
 * request created: `reached` is created by whichever side comes first (the `/gate/T/reached`
 * request waits on it while it lives), `release` by the held read itself.
 */
type Gate = {
  reached: Deferred<number | null>;
  release?: Deferred<void>;
  releasedEarly: boolean;
};
const gates = new Map<string, Gate>();
function gateOf(token: string): Gate {
  let gate = gates.get(token);
  if (gate === undefined) {
    gate = { reached: deferred(), releasedEarly: false };
    gates.set(token, gate);
  }
  return gate;
}

class GateTimeoutError extends Error {
  override name = "GateTimeoutError";
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GateTimeoutError(`${what} timed out`)), GATE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
  });
}

function hooksOf(url: URL): ReadHooks {
  const token = url.searchParams.get("gate");
  const client = url.searchParams.get("client");
  const identity = client === null ? {} : { client };
  if (token === null) {
    return identity;
  }
  return {
    ...identity,
    async afterLoad(version) {
      const gate = gateOf(token);
      const release = deferred<void>();
      gate.release = release;
      gate.reached.resolve(version);
      if (!gate.releasedEarly) {
        await withTimeout(release.promise, `gate ${token} release`);
      }
      gates.delete(token);
    },
  };
}

function changeOf(url: URL): WriteChange | undefined {
  const raw = url.searchParams.get("stock");
  if (raw === null) {
    return {};
  }
  const stock = Number(raw);
  return Number.isInteger(stock) && stock >= 0 ? { stock } : undefined;
}

/** Builds the handler over `paths` (the paths this host serves; the others answer 404). */
export function createBenchHandler(paths: Partial<Record<BenchPath, BenchPathImpl>>): BenchHandler {
  return async (request, env, ctx) => {
    const parsed = parseEnv(env);
    if (!parsed.ok) {
      return json(500, { error: parsed.problems.join("; ") });
    }
    const config = parsed.config;
    installFetchCounter(config.UPSTASH_REDIS_REST_URL, config.NEON_LOCAL_PROXY ?? "");
    const url = new URL(request.url);
    const { pathname } = url;
    // The isolate-wide breaker the core uses for this Redis (read only, to explain bypasses).
    const breaker = sharedBreaker(config.UPSTASH_REDIS_REST_URL).state;
    if (pathname === "/stats" && request.method === "GET") {
      return json(200, { ...readStats(), breaker });
    }
    if (pathname === "/stats/reset" && request.method === "POST") {
      resetStats();
      return json(200, { ...readStats(), breaker });
    }
    if (pathname === FLOOR_ROUTES["one-get"] && request.method === "GET") {
      try {
        const { result } = await withRequestScope("read", () => oneGet(config));
        return json(result === 200 ? 200 : 502, { status: result });
      } catch (err: unknown) {
        return json(502, {
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
      }
    }
    if (pathname === FLOOR_ROUTES["nearest-miss"] && request.method === "GET") {
      const started = Date.now();
      try {
        await withRequestScope("read", () => nearestMiss(config));
        return json(200, { serverMs: Date.now() - started });
      } catch (err: unknown) {
        return json(502, {
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
      }
    }
    const gateMatch = GATE_ROUTE.exec(pathname);
    if (gateMatch?.[1] !== undefined) {
      return gateRequest(gateMatch[1], gateMatch[2], request.method);
    }
    const [, kind, path, id] = ROUTE.exec(pathname) ?? [];
    const impl = path === undefined ? undefined : paths[path as BenchPath];
    if (kind === undefined || id === undefined || impl === undefined) {
      return json(404, { error: "no such route on this host" });
    }
    const pathCtx: PathContext = { config, env, background: trackedBackground(ctx) };
    const started = Date.now();
    try {
      if (kind === "read" && request.method === "GET") {
        const { result, calls } = await withRequestScope("read", () =>
          impl.read(pathCtx, id, hooksOf(url)),
        );
        const { status, product, outcome } = result;
        return json(200, {
          status,
          version: product?.version ?? null,
          stock: product?.stock ?? null,
          ...(outcome === undefined ? {} : { outcome }),
          startedAt: started,
          serverMs: Date.now() - started,
          calls,
        });
      }
      if (kind === "write" && request.method === "POST") {
        const change = changeOf(url);
        if (change === undefined) {
          return json(400, { error: "stock must be a whole number ≥ 0" });
        }
        const { result, calls } = await withRequestScope("write", () =>
          impl.write(pathCtx, id, change),
        );
        return json(200, {
          version: result?.version ?? null,
          stock: result?.stock ?? null,
          startedAt: started,
          serverMs: Date.now() - started,
          calls,
        });
      }
      return json(405, { error: "method not allowed" });
    } catch (err: unknown) {
      const gaveUp = err instanceof NaiveGaveUpError;
      return json(gaveUp ? 503 : 500, {
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        serverMs: Date.now() - started,
      });
    }
  };
}

/** One Upstash REST `GET` of {@link FLOOR_KEY} with a plain `fetch`: the HTTP status it got. */
type FloorConfig = {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  DATABASE_URL: string;
  DATABASE_REPLICA_URL?: string | undefined;
  NEON_LOCAL_PROXY?: string | undefined;
};

/** One Upstash REST command with a plain `fetch`; resolves with the HTTP status. */
async function upstashCommand(config: FloorConfig, command: string[]): Promise<number> {
  const response = await fetch(config.UPSTASH_REDIS_REST_URL, {
    method: "POST",
    headers: { authorization: `Bearer ${config.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
  });
  await response.text();
  return response.status;
}

function oneGet(config: FloorConfig): Promise<number> {
  return upstashCommand(config, ["GET", FLOOR_KEY]);
}

/** The round trips of a `nearest` miss after expiry, with nothing of the cache's around them. */
async function nearestMiss(config: FloorConfig): Promise<void> {
  const expectOk = (what: string, status: number) => {
    if (status !== 200) {
      throw new Error(`${what} answered ${status}`);
    }
  };
  expectOk("GET", await oneGet(config));
  expectOk("SET", await upstashCommand(config, ["SET", `${FLOOR_KEY}:lock`, "1", "PX", "1000"]));
  if (config.NEON_LOCAL_PROXY === undefined) {
    throw new Error("the nearest-miss floor needs NEON_LOCAL_PROXY");
  }
  const response = await fetch(`http://${config.NEON_LOCAL_PROXY}/sql`, {
    method: "POST",
    headers: {
      "Neon-Connection-String": config.DATABASE_REPLICA_URL ?? config.DATABASE_URL,
      "Neon-Array-Mode": "true",
      "Neon-Raw-Text-Output": "true",
    },
    body: JSON.stringify({ query: "SELECT 1", params: [] }),
  });
  await response.text();
  expectOk("SELECT 1", response.status);
}

async function gateRequest(token: string, action: string | undefined, method: string) {
  const gate = gateOf(token);
  if (action === "release" && method === "POST") {
    gate.releasedEarly = true;
    gate.release?.resolve();
    return json(200, {});
  }
  if (action === "reached" && method === "GET") {
    try {
      const answer: GateAnswer = {
        version: await withTimeout(gate.reached.promise, `gate ${token}`),
      };
      return json(200, answer);
    } catch (err: unknown) {
      return json(504, { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return json(405, { error: "method not allowed" });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
