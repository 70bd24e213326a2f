/**
 * A bench "isolate" in Node, for peers that cannot run inside workerd: one child process serving
 * the bench protocol (`handler.ts`, the same code the Worker serves) over `node:http` on loopback,
 * for the paths of {@link NODE_PATHS}. Background work runs as it would under `waitUntil` (the
 * process lives on), counted by the same stats module.
 *
 * Protocol (IPC): env `BENCH_BINDINGS` (JSON of the Worker's bindings) in; one
 * {@link NodeHostReady} message out; the message `"close"` (or the parent going away) stops it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { BackgroundContext } from "lease-cache";
import { createBenchHandler } from "./handler";
import { bentocachePath, disconnectBentocache } from "./paths/bentocache";

/** The paths a Node host serves. */
export const NODE_PATHS = { bentocache: bentocachePath };

/** What the host reports once it listens. */
export type NodeHostReady = { type: "ready"; url: string };

const bindings = JSON.parse(process.env.BENCH_BINDINGS ?? "{}") as Record<string, string>;
const handle = createBenchHandler(NODE_PATHS);
const background: BackgroundContext = {
  waitUntil(promise) {
    promise.catch(() => {});
  },
};

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = new Request(`http://127.0.0.1${req.url ?? "/"}`, { method: req.method });
  const response = await handle(request, bindings, background);
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, {
    "content-type": response.headers.get("content-type") ?? "application/json",
    "content-length": body.length,
  });
  res.end(body);
}

const server = createServer((req, res) => {
  // The bench sends no bodies; drain anything so keep-alive stays usable.
  req.resume();
  serve(req, res).catch((err: unknown) => {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: String(err) }));
  });
});
server.keepAliveTimeout = 60_000;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  server.closeAllConnections();
  server.close();
  await disconnectBentocache().catch(() => {});
  process.exit(0);
}
process.on("message", (message) => {
  if (message === "close") {
    void stop();
  }
});
process.on("disconnect", () => void stop());

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const ready: NodeHostReady = { type: "ready", url: `http://127.0.0.1:${port}` };
  process.send?.(ready);
});
