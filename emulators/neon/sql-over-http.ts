/**
 * `POST /sql`: Neon's SQL-over-HTTP endpoint (what `neon()` and drizzle `neon-http` call), served
 * from a real Postgres, with the shared fault knobs applied per request.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultController } from "../shared/faults";
import { parseConnectionString, TargetError, type TargetPolicy } from "./connection-target";
import { databaseErrorBody, isDatabaseError, plainErrorBody } from "./neon-error";
import type { PoolRegistry } from "./pool-registry";
import { runBatch, runSingle } from "./query-runner";
import { parseSqlRequest, RequestError, type SqlRequest, sqlTexts } from "./request-body";

/** What the handler needs from its server. */
export type SqlHandlerOptions = {
  pools: PoolRegistry;
  faults: FaultController;
  policy: TargetPolicy;
};

/** A `(req, res)` handler for `/sql`. */
export type SqlHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const BATCH_HEADERS = [
  "neon-batch-isolation-level",
  "neon-batch-read-only",
  "neon-batch-deferrable",
];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.headersSent) {
    return;
  }
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "access-control-allow-origin": "*",
    "neon-request-id": randomUUID(),
  };
  // Neon echoes the batch settings it applied.
  for (const name of BATCH_HEADERS) {
    const value = req.headers[name];
    if (typeof value === "string") {
      headers[name] = value;
    }
  }
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

async function execute(request: SqlRequest, req: IncomingMessage, options: SqlHandlerOptions) {
  const header = req.headers["neon-connection-string"];
  if (typeof header !== "string" || header === "") {
    throw new RequestError("missing Neon-Connection-String header");
  }
  const pool = options.pools.poolFor(parseConnectionString(header, options.policy));
  if (request.kind === "single") {
    return runSingle(pool, request.query);
  }
  return { results: await runBatch(pool, request.queries, request.options) };
}

function replyError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (isDatabaseError(err)) {
    reply(req, res, 400, databaseErrorBody(err));
  } else if (err instanceof RequestError || err instanceof TargetError) {
    reply(req, res, 400, plainErrorBody(err.message));
  } else {
    // Only the emulator's own failures (Postgres unreachable, connection lost) are 500s.
    const message = err instanceof Error ? err.message : String(err);
    reply(req, res, 500, plainErrorBody(`emulator could not reach Postgres: ${message}`));
  }
}

/** Builds the `/sql` handler. */
export function createSqlHandler(options: SqlHandlerOptions): SqlHandler {
  const { faults } = options;
  return async (req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-origin": "*",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "*",
      });
      res.end();
      return;
    }
    if (req.method !== "POST") {
      reply(req, res, 405, plainErrorBody("use POST"));
      return;
    }
    const bodyText = await readBody(req);
    await faults.delay();
    let request: SqlRequest;
    try {
      request = parseSqlRequest(bodyText, req.headers);
    } catch (err: unknown) {
      replyError(req, res, err);
      return;
    }
    const mode = faults.modeFor(sqlTexts(request));
    if (mode === "refuse") {
      req.socket.destroy();
      return;
    }
    if (mode === "hang") {
      // A client that gives up (aborted fetch) stops the wait, and its query is never run.
      const gone = new AbortController();
      const onClose = () => gone.abort();
      res.once("close", onClose);
      await faults.hangUntilReleased(gone.signal);
      res.off("close", onClose);
      if (gone.signal.aborted || req.socket.destroyed) {
        return;
      }
    }
    if (mode === "http500") {
      reply(req, res, 500, plainErrorBody("injected fault: HTTP 500"));
      return;
    }
    if (mode === "error") {
      reply(req, res, 400, {
        ...plainErrorBody(faults.settings.errorMessage, "XX000"),
        severity: "ERROR",
      });
      return;
    }
    let result: unknown;
    try {
      result = await execute(request, req, options);
    } catch (err: unknown) {
      if (mode === "lost-response") {
        req.socket.destroy();
      } else {
        replyError(req, res, err);
      }
      return;
    }
    await faults.delayReply();
    if (mode === "lost-response") {
      // The transaction has committed; the client only loses the answer.
      req.socket.destroy();
      return;
    }
    reply(req, res, 200, result);
  };
}
