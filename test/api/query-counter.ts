/**
 * A counting pass-through in front of the run's Neon server: the Worker gets its `host:port` as
 * `NEON_LOCAL_PROXY`, every SQL-over-HTTP request is forwarded unchanged and counted, so a test
 * can say exactly how many queries reached Postgres.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { inject } from "vitest";

/** A running counter. */
export type QueryCounter = {
  /** `127.0.0.1:PORT`, for the `NEON_LOCAL_PROXY` binding. */
  hostPort: string;
  /** SQL requests (`POST /sql`, one query or one batch each) forwarded so far. */
  count(): number;
  /** Sets the count back to 0. */
  reset(): void;
  close(): Promise<void>;
};

/** Starts a counter forwarding to the run's Neon server. */
export async function startQueryCounter(): Promise<QueryCounter> {
  const upstream = new URL(inject("stack").neonUrl);
  let count = 0;
  const server = createServer((req, res) => {
    if (req.method === "POST" && (req.url ?? "").startsWith("/sql")) {
      count++;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    count: () => count,
    reset: () => {
      count = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
