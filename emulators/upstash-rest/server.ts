/**
 * An HTTP server speaking the Upstash Redis REST protocol (as `@upstash/redis` 1.39 uses it) over a
 * real Redis: `POST /` (one command), `POST /pipeline`, `POST /multi-exec`, plus the shared fault
 * control endpoint. Rules and known differences from Upstash: `README.md` next to this file.
 *
 * Every answer is JSON. 2xx/4xx carry Redis's own results and error texts; 5xx means the emulator
 * itself failed (Redis unreachable, an injected `http500`). Every protocol response carries an
 * `upstash-sync-token` header: the client stores whatever it receives and a missing header would
 * reset it. Without a replica the token is a per-server counter (one Redis: every read sees every
 * earlier write). With `replicaUrl` the server behaves like an Upstash Global database with one
 * read region (see `replica-router.ts`): reads go to the replica, tokens are replication offsets
 * and a request carrying one is answered only by a replica that has applied that far.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultController, handleFaultControl } from "../shared/faults";
import { commandNameOf, type PlannedCommand, planCommand } from "./commands";
import { runPipeline, runSingle, runTransaction } from "./execute";
import { BodyTooLargeError, hasBearerToken, readBody, sendJson } from "./http-io";
import {
  type Backend,
  ReplicaRouter,
  type ReplicaStats,
  type RunOn,
  type Served,
} from "./replica-router";
import { RedisConnectionError, RespClient } from "./resp-client";
import { ScriptRegistry } from "./scripts";

/** How to start the server. */
export type UpstashRestServerOptions = {
  /** `redis://[[user]:password@]host[:port][/db]` of the real Redis. */
  redisUrl: string;
  /** The bearer token clients must send. */
  token: string;
  /** TCP port. @default 0 (a free port) */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /**
   * Largest accepted request body in bytes; larger ones get 413 JSON. Upstash documents a 100 MB
   * limit per record; its per-request limits depend on the plan and are not modelled.
   * @default 104857600 (100 MiB)
   */
  maxBodyBytes?: number;
  /**
   * A replica of `redisUrl` (`redis://host:port[/db]`) playing an Upstash read region: read
   * commands, `EVAL_RO` and `EVALSHA_RO` run there, and `upstash-sync-token` is honoured.
   * @default undefined (everything runs at `redisUrl`)
   */
  replicaUrl?: string;
  /**
   * With `replicaUrl`: how long a request carrying a sync token waits for the replica to reach it
   * before the primary answers instead, in ms. @default 1000
   */
  syncWaitMs?: number;
  /** Simulated distance to each backend (see {@link RouteDelay}). @default 0 for both */
  routeDelayMs?: Partial<RouteDelay>;
};

/**
 * Extra delay, in ms, before a request runs, by where it runs: a simulated topology in which the
 * primary region is far and the read region near (Worker → primary 80 ms, → read region 2 ms).
 * Applied on top of the fault controller's `latencyMs`, which every request pays.
 */
export type RouteDelay = { primaryMs: number; replicaMs: number };

/** A running server. */
export type UpstashRestServer = {
  /** Base URL for `new Redis({ url, token })`, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  token: string;
  /** Latency and failure knobs (also reachable over HTTP at `CONTROL_PATH`). */
  faults: FaultController;
  /** Where requests ran, when the server has a replica; `undefined` without one. */
  replica: { readonly stats: Readonly<ReplicaStats> } | undefined;
  /** The per-backend delays in force. */
  readonly routeDelay: Readonly<RouteDelay>;
  /**
   * Changes the per-backend delays (the fields given).
   * @throws RangeError for a negative or non-finite value
   */
  setRouteDelay(delay: Partial<RouteDelay>): void;
  /** Stops listening, drops open connections (held `hang` requests included) and closes Redis. */
  close(): Promise<void>;
};

const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;

type Route = "single" | "pipeline" | "multi-exec";
const ROUTES = new Map<string, Route>([
  ["/", "single"],
  ["/pipeline", "pipeline"],
  ["/multi-exec", "multi-exec"],
]);

type Context = {
  token: string;
  maxBodyBytes: number;
  faults: FaultController;
  redis: RespClient;
  scripts: ScriptRegistry;
  router: ReplicaRouter | undefined;
  routeDelay: RouteDelay;
  nextSyncToken: () => string;
  isClosing: () => boolean;
};

const SYNC_TOKEN_HEADER = "upstash-sync-token";

/** Starts the server; resolves once it listens. Redis is contacted lazily, per request. */
export async function startUpstashRestServer(
  options: UpstashRestServerOptions,
): Promise<UpstashRestServer> {
  const host = options.host ?? "127.0.0.1";
  let syncCounter = 0;
  let closing = false;
  const redis = new RespClient(options.redisUrl);
  const scripts = new ScriptRegistry();
  const router =
    options.replicaUrl === undefined
      ? undefined
      : new ReplicaRouter(redis, scripts, {
          replicaUrl: options.replicaUrl,
          ...(options.syncWaitMs === undefined ? {} : { syncWaitMs: options.syncWaitMs }),
        });
  const context: Context = {
    token: options.token,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    faults: new FaultController(),
    redis,
    scripts,
    router,
    routeDelay: checkRouteDelay({ primaryMs: 0, replicaMs: 0, ...options.routeDelayMs }),
    nextSyncToken: () => {
      syncCounter += 1;
      return String(syncCounter);
    },
    isClosing: () => closing,
  };
  const server = createServer((req, res) => {
    handle(context, req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, { error: `ERR Upstash REST emulator internal error: ${message}` });
    });
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // Node's default answer to unparsable HTTP has no body; keep the "always JSON" promise.
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const text = JSON.stringify({ error: `ERR malformed HTTP request: ${error.message}` });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    token: options.token,
    faults: context.faults,
    replica: router === undefined ? undefined : { stats: router.stats },
    get routeDelay() {
      return { ...context.routeDelay };
    },
    setRouteDelay(delay) {
      context.routeDelay = checkRouteDelay({ ...context.routeDelay, ...delay });
    },
    async close() {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      context.faults.releaseHanging();
      server.closeAllConnections();
      await Promise.all([stopped, context.redis.close(), router?.close()]);
    },
  };
}

async function handle(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (await handleFaultControl(context.faults, req, res)) {
    return;
  }
  const incoming = syncTokenOf(req);
  // Answers that run nothing echo the request's token: the client keeps it (and only stores
  // tokens of 2xx answers anyway).
  let syncToken = context.router ? String(incoming ?? 0) : context.nextSyncToken();
  const reply = (status: number, body: unknown) =>
    sendJson(res, status, body, { [SYNC_TOKEN_HEADER]: syncToken });
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const route = ROUTES.get(path);
  if (route === undefined) {
    reply(404, { error: `ERR no such endpoint ${path}; use POST /, /pipeline or /multi-exec` });
    return;
  }
  if (req.method !== "POST") {
    reply(405, { error: `ERR ${req.method ?? "?"} is not supported; use POST` });
    return;
  }
  await context.faults.delay();
  if (!hasBearerToken(req.headers.authorization, context.token)) {
    reply(401, { error: "Unauthorized: missing or invalid bearer token" });
    return;
  }
  if (context.router !== undefined && incoming === undefined) {
    reply(400, { error: `ERR invalid ${SYNC_TOKEN_HEADER}: send back a token this server issued` });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req, context.maxBodyBytes));
  } catch (error: unknown) {
    const tooLarge = error instanceof BodyTooLargeError;
    reply(tooLarge ? 413 : 400, {
      error: tooLarge ? error.message : "ERR the request body is not valid JSON",
    });
    return;
  }
  const commands: unknown = route === "single" ? [body] : body;
  if (!Array.isArray(commands)) {
    reply(400, { error: `ERR the body of /${route} must be a JSON array of command arrays` });
    return;
  }
  const mode = context.faults.modeFor(commands.map(commandNameOf));
  if (mode === "refuse") {
    req.socket.destroy();
    return;
  }
  if (mode === "http500") {
    reply(500, { error: "ERR injected fault: HTTP 500 from the Upstash REST emulator" });
    return;
  }
  if (mode === "hang") {
    await context.faults.hangUntilReleased();
    // A request whose client gave up while held is dropped, not run late.
    if (context.isClosing() || req.socket.destroyed) {
      return;
    }
  }
  let plans = commands.map((command) => planCommand(command, context.scripts));
  if (mode === "error") {
    plans = injectErrors(plans, context.faults);
  }
  try {
    const served = await serve(context, route, plans, base64Requested(req), incoming ?? 0);
    await context.faults.delayReply();
    if (mode === "lost-response") {
      req.socket.destroy(); // the commands ran; the client never hears about it
      return;
    }
    if (context.router !== undefined) {
      syncToken = String(served.token);
    }
    reply(served.status, served.payload);
  } catch (error: unknown) {
    if (!(error instanceof RedisConnectionError)) {
      throw error;
    }
    reply(500, { error: `ERR Upstash REST emulator cannot reach Redis: ${error.message}` });
  }
}

/** Runs the request at the primary, or lets the replica router choose; see `replica-router.ts`. */
async function serve(
  context: Context,
  route: Route,
  plans: PlannedCommand[],
  base64: boolean,
  token: number,
): Promise<Served> {
  const run: RunOn = async (backend: Backend, client: RespClient) => {
    const delayMs =
      backend === "primary" ? context.routeDelay.primaryMs : context.routeDelay.replicaMs;
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    return await dispatch(client, route, plans, base64);
  };
  if (context.router === undefined) {
    const [status, payload] = await run("primary", context.redis);
    return { status, payload, token };
  }
  return await context.router.serve(route, plans, token, run);
}

async function dispatch(
  client: RespClient,
  route: Route,
  plans: PlannedCommand[],
  base64: boolean,
): Promise<[number, unknown]> {
  if (route === "pipeline") {
    return [200, await runPipeline(client, plans, base64)];
  }
  if (route === "multi-exec") {
    const outcome = await runTransaction(client, plans, base64);
    return "aborted" in outcome ? [400, { error: outcome.aborted }] : [200, outcome.entries];
  }
  const [plan] = plans;
  const entry =
    plan === undefined ? { error: "ERR empty command" } : await runSingle(client, plan, base64);
  return ["error" in entry ? 400 : 200, entry];
}

/**
 * The request's `upstash-sync-token` as an offset: 0 when absent or empty (the client's first
 * request), `undefined` when it is not one this server could have issued.
 */
function syncTokenOf(req: IncomingMessage): number | undefined {
  const value = req.headers[SYNC_TOKEN_HEADER];
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? "";
  if (text === "") {
    return 0;
  }
  const offset = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(offset) ? offset : undefined;
}

function checkRouteDelay(delay: RouteDelay): RouteDelay {
  for (const [name, value] of Object.entries(delay)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`route delay ${name} must be a finite number of ms >= 0, got ${value}`);
    }
  }
  return delay;
}

/**
 * The `error` fault: commands named by `match` (all when it is empty) answer the configured error
 * without running; in a pipeline the other entries still run. Matching mirrors
 * `FaultController.modeFor` (case-insensitive substring of the command name).
 */
function injectErrors(plans: PlannedCommand[], faults: FaultController): PlannedCommand[] {
  const { match, errorMessage } = faults.settings;
  const needles = match.map((word) => word.toLowerCase());
  return plans.map((plan) => {
    const name = plan.name.toLowerCase();
    const hit = needles.length === 0 || needles.some((needle) => name.includes(needle));
    return hit ? { name: plan.name, error: errorMessage } : plan;
  });
}

function base64Requested(req: IncomingMessage): boolean {
  const value = req.headers["upstash-encoding"];
  return typeof value === "string" && value.trim().toLowerCase() === "base64";
}
