/**
 * An HTTP knob for the replicas' lag, for `npm run dev` sessions (curl) and anything not holding
 * the pairs' handles: `GET /__control/replication` reads, `POST` with
 * `{"redisLagMs": n, "postgresLagMs": n}` (either field) switches and answers the new state.
 * Loopback only; no token (like the fault control endpoints).
 * @module
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { checkLag } from "./lag-relay";

/** The URL path of the control endpoint. */
export const REPLICATION_CONTROL_PATH = "/__control/replication";

/** What the endpoint can switch: either pair may be absent. */
export type LagKnobs = {
  redis?: { readonly lagMs: number; setLag(ms: number): void };
  postgres?: { readonly lagMs: number; setLag(ms: number): Promise<void> };
};

/** The state the endpoint reports. */
export type LagState = { redisLagMs: number | null; postgresLagMs: number | null };

/** A running control server. */
export type ReplicationControl = { url: string; port: number; close(): Promise<void> };

const MAX_BODY_BYTES = 4096;

/** Starts the control server on `port` (@default 0, a free one) of 127.0.0.1. */
export async function startReplicationControl(
  knobs: LagKnobs,
  port = 0,
): Promise<ReplicationControl> {
  const state = (): LagState => ({
    redisLagMs: knobs.redis?.lagMs ?? null,
    postgresLagMs: knobs.postgres?.lagMs ?? null,
  });
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if ((req.url ?? "/").split("?")[0] !== REPLICATION_CONTROL_PATH) {
      reply(404, { error: `no route; use ${REPLICATION_CONTROL_PATH}` });
    } else if (req.method === "GET") {
      reply(200, state());
    } else if (req.method === "POST") {
      applyPatch(knobs, req).then(
        () => reply(200, state()),
        (error: unknown) =>
          reply(400, { error: error instanceof Error ? error.message : String(error) }),
      );
    } else {
      reply(405, { error: "use GET or POST" });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}${REPLICATION_CONTROL_PATH}`,
    port: bound,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function applyPatch(knobs: LagKnobs, req: IncomingMessage): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new Error(`body over ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const patch: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw new Error('body must be a JSON object like {"redisLagMs": 200, "postgresLagMs": 200}');
  }
  const { redisLagMs, postgresLagMs } = patch as Record<string, unknown>;
  // Validate both before switching either, so a bad request changes nothing.
  const redis = lagField("redisLagMs", redisLagMs, knobs.redis !== undefined);
  const postgres = lagField("postgresLagMs", postgresLagMs, knobs.postgres !== undefined);
  if (redis !== undefined) {
    knobs.redis?.setLag(redis);
  }
  if (postgres !== undefined) {
    await knobs.postgres?.setLag(postgres);
  }
}

function lagField(name: string, value: unknown, available: boolean): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!available) {
    throw new Error(`${name}: no such replica is running`);
  }
  if (typeof value !== "number") {
    throw new Error(`${name} must be a number of ms`);
  }
  return checkLag(value);
}
