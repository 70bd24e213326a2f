/**
 * The local Neon stand-in: one HTTP server with `POST /sql`, the WebSocket relay on `/v2` (and `/v1`)
 * and the fault control endpoint, all over a real Postgres.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTROL_PATH, FaultController, handleFaultControl } from "../shared/faults";
import type { TargetPolicy } from "./connection-target";
import { plainErrorBody } from "./neon-error";
import { PoolRegistry } from "./pool-registry";
import { createSqlHandler } from "./sql-over-http";
import { createWsRelay } from "./ws-relay";

/** Options for {@link startNeonServer}. */
export type NeonServerOptions = {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Postgres hosts clients may name. @default ["127.0.0.1", "localhost", "::1"] */
  allowHosts?: string[];
  /** When set, every connection goes to this Postgres whatever the client named. */
  upstream?: { host: string; port: number };
};

/** A running server. */
export type NeonServer = {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, what {@link pointNeonAtLocal} takes. */
  hostPort: string;
  port: number;
  /** The server's fault knobs (also reachable over HTTP at `/__control/faults`). */
  faults: FaultController;
  /** Stops listening, drops every connection and ends the Postgres pools. */
  close(): Promise<void>;
};

/** Starts the server and resolves once it listens. */
export async function startNeonServer(options: NeonServerOptions = {}): Promise<NeonServer> {
  const faults = new FaultController();
  const policy: TargetPolicy = {
    ...(options.allowHosts ? { allowHosts: options.allowHosts } : {}),
    ...(options.upstream ? { upstream: options.upstream } : {}),
  };
  const pools = new PoolRegistry();
  const sql = createSqlHandler({ pools, faults, policy });
  const relay = createWsRelay(policy, faults);

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const work =
      path === CONTROL_PATH
        ? handleFaultControl(faults, req, res)
        : path === "/sql"
          ? sql(req, res)
          : Promise.resolve().then(() => {
              res.writeHead(404, { "content-type": "application/json" });
              res.end(JSON.stringify(plainErrorBody(`no route for ${path}`)));
            });
    work.catch((err: unknown) => {
      // A handler bug must not take the process down; the client sees a dropped connection.
      console.error("neon emulator:", err);
      res.destroy();
    });
  });
  server.on("upgrade", (req, socket, head) => {
    if (!relay.handleUpgrade(req, socket, head)) {
      socket.destroy();
    }
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPort = `${host.includes(":") ? `[${host}]` : host}:${port}`;

  return {
    url: `http://${hostPort}`,
    hostPort,
    port,
    faults,
    async close() {
      // Held requests must not keep close() waiting; their sockets are dropped just below.
      faults.releaseHanging();
      relay.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await pools.close();
    },
  };
}
