/**
 * A TCP relay on loopback in front of the real Redis that injects a round trip into every request
 * (the same knob as the Upstash REST server's `latencyMs`/`jitterMs`), for clients that speak RESP
 * themselves (ioredis, under a peer library that cannot use the REST API). Bytes from the client
 * are held for the round trip, in order; replies pass at once.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** The relay's injected delay. */
export type RelayLatency = { latencyMs: number; jitterMs: number };

/** A running relay. */
export type LatencyRelay = {
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  setLatency(latency: RelayLatency): void;
  close(): Promise<void>;
};

/** Relays `127.0.0.1:<random port>` to `upstream` (`redis://host:port`). */
export async function startLatencyRelay(upstream: string): Promise<LatencyRelay> {
  const target = new URL(upstream);
  let latency: RelayLatency = { latencyMs: 0, jitterMs: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const redis = connect({ host: target.hostname, port: Number(target.port || 6379) });
    sockets.add(client);
    sockets.add(redis);
    let releaseAt = 0;
    client.on("data", (chunk: Buffer) => {
      const delay = latency.latencyMs + Math.random() * latency.jitterMs;
      // Never before an earlier chunk: the stream keeps its order.
      releaseAt = Math.max(performance.now() + delay, releaseAt);
      const wait = releaseAt - performance.now();
      if (wait <= 0) {
        redis.write(chunk);
      } else {
        setTimeout(() => redis.write(chunk), wait);
      }
    });
    redis.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      redis.destroy();
      sockets.delete(client);
      sockets.delete(redis);
    };
    client.on("close", end);
    redis.on("close", end);
    client.on("error", end);
    redis.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    setLatency(next) {
      latency = next;
    },
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
