/**
 * A TCP proxy whose target can be switched while running: what a failover looks like to clients
 * of a managed Redis (the endpoint stays, the server behind it changes). Switching closes every
 * open connection, as a real failover does; new ones go to the new target.
 */
import { createConnection, createServer, type Socket } from "node:net";

/** A running proxy. */
export type SwitchableProxy = {
  /** `redis://127.0.0.1:PORT` of the proxy. */
  url: string;
  /** Sends new connections to `port` (on 127.0.0.1) and closes the open ones. */
  switchTo(port: number): void;
  close(): Promise<void>;
};

/** Starts a proxy on a free loopback port in front of `127.0.0.1:targetPort`. */
export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  let target = targetPort;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const dropAll = () => {
    for (const socket of open) {
      socket.destroy();
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    switchTo(next) {
      target = next;
      dropAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
