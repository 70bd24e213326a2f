/**
 * An HTTP proxy in front of the local Neon server that delays each `/sql` request by where it
 * goes, for the simulated topology: requests whose `Neon-Connection-String` names the replica wait
 * `replicaMs`, all others `primaryMs` (Worker → primary region far, → replica near). The Neon
 * server's own fault latency applies to both alike, so it cannot model this on its own.
 */
import { createServer, request } from "node:http";

/** Delay by target. */
export type NeonRouteDelay = { primaryMs: number; replicaMs: number };

/** A running proxy. */
export type NeonRouteProxy = { hostPort: string; close(): Promise<void> };

/**
 * Proxies `127.0.0.1:<random port>` to the Neon server at `neonHostPort`; `replicaHostPort` is the
 * `host:port` of the replica's connection string.
 */
export async function startNeonRouteProxy(
  neonHostPort: string,
  replicaHostPort: string,
  delay: NeonRouteDelay,
): Promise<NeonRouteProxy> {
  const [host, port] = neonHostPort.split(":");
  const server = createServer((req, res) => {
    const target = String(req.headers["neon-connection-string"] ?? "");
    const ms = target.includes(`@${replicaHostPort}/`) ? delay.replicaMs : delay.primaryMs;
    setTimeout(() => {
      const upstream = request(
        { host, port: Number(port), path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", (err) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `neon route proxy: ${err.message}` }));
      });
      req.pipe(upstream);
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const bound = typeof address === "object" && address !== null ? address.port : 0;
  return {
    hostPort: `127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
