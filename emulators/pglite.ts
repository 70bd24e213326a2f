/**
 * An embedded Postgres for machines without one: PGlite (Postgres compiled to WASM) persisted in a
 * folder, served over the Postgres wire protocol by `@electric-sql/pglite-socket`, so `pg`, the Neon
 * `/sql` handler and the WebSocket relay use it like a real server.
 *
 * Limits (PGlite is ONE backend session behind a multiplexer):
 * - Several TCP connections are accepted (`maxConnections`), but their messages run one at a time.
 *   pglite-socket keeps a connection's messages together while the backend is inside a transaction
 *   (explicit, or the implicit one of an extended-protocol Parse…Sync), so pooled `pg` clients and
 *   relay clients interleave safely at statement/transaction granularity.
 * - While one connection holds an open transaction, every other connection waits: a test that opens
 *   a transaction and then awaits a query on another connection deadlocks.
 * - Session state is shared by all connections: `SET`, temporary tables, named prepared statements
 *   and advisory locks leak between them (the Neon server's session settings are harmless there).
 * - One database (`postgres`), user `postgres`, any password; no TLS; `CREATE DATABASE` is not usable.
 * - pglite-socket ignores Terminate (`X`) and keeps the socket open; a real server closes it, and the
 *   Neon driver's `Client.end()` over the relay waits for exactly that. A small front proxy closes the
 *   connection on Terminate (and never hands `X` to PGlite, whose single backend must live on).
 */
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Options for {@link startEmbeddedPostgres}. */
export type EmbeddedPostgresOptions = {
  /** Folder holding the database files; created when missing, reused when present. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** Concurrent client connections accepted by the multiplexer. @default 64 */
  maxConnections?: number;
};

/** A running embedded Postgres. */
export type EmbeddedPostgres = {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** Stops the socket server, then closes (and flushes) the database. */
  close(): Promise<void>;
};

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Watches the client-to-server byte stream for message boundaries. Calls `onTerminate` with the
 * bytes that precede a Terminate message; returns the bytes to forward for each chunk.
 */
function terminateWatcher(onTerminate: () => void): (chunk: Buffer) => Buffer {
  let pending = Buffer.alloc(0);
  let inStartup = true;
  let done = false;
  return (chunk) => {
    if (done) {
      return Buffer.alloc(0);
    }
    pending = Buffer.concat([pending, chunk]);
    let offset = 0;
    for (;;) {
      const headerSize = inStartup ? 8 : 5;
      if (pending.length - offset < headerSize) {
        break;
      }
      // Startup-phase messages have no type byte: int32 length (self-inclusive) + int32 code.
      const size = inStartup ? pending.readInt32BE(offset) : 1 + pending.readInt32BE(offset + 1);
      if (!inStartup && pending[offset] === 0x58) {
        done = true;
        const forward = pending.subarray(0, offset);
        pending = Buffer.alloc(0);
        onTerminate();
        return forward;
      }
      if (pending.length - offset < size) {
        break;
      }
      if (inStartup) {
        const code = pending.readInt32BE(offset + 4);
        inStartup = code === SSL_REQUEST || code === GSSENC_REQUEST;
      }
      offset += size;
    }
    // Whole messages are forwarded at once; a partial one waits for its remainder.
    const forward = pending.subarray(0, offset);
    pending = Buffer.from(pending.subarray(offset));
    return forward;
  };
}

/** The front proxy: its server and a close that also drops open connections. */
type Front = { server: Server; close(): Promise<void> };

/** Accepts clients on `port` and pipes each to `backendPort`, closing on Terminate. */
async function startFront(port: number, backendPort: number): Promise<Front> {
  const sockets = new Set<Socket>();
  const front = createServer((client) => {
    const backend = connect(backendPort, "127.0.0.1");
    sockets.add(client).add(backend);
    const close = () => {
      client.destroy();
      backend.destroy();
    };
    const watch = terminateWatcher(() => setImmediate(close));
    client.on("data", (chunk: Buffer) => {
      const forward = watch(chunk);
      if (forward.length > 0) {
        backend.write(forward);
      }
    });
    backend.on("data", (chunk: Buffer) => client.write(chunk));
    for (const sock of [client, backend]) {
      sock.on("error", close);
      sock.on("close", () => {
        sockets.delete(sock);
        close();
      });
    }
  });
  front.listen(port, "127.0.0.1");
  await once(front, "listening");
  return {
    server: front,
    async close() {
      const closed = new Promise((resolve) => front.close(resolve));
      for (const sock of sockets) {
        sock.destroy();
      }
      await closed;
    },
  };
}

/** Opens (or creates) the database in `dataDir` and serves it on a local port. */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: 0,
    // The default of 1 would answer a second pooled connection with "Too many connections".
    maxConnections: options.maxConnections ?? 64,
  });
  let front: Front;
  try {
    await server.start();
    const backendPort = Number(server.getServerConn().split(":").at(-1));
    front = await startFront(options.port ?? 0, backendPort);
  } catch (err: unknown) {
    await server.stop().catch(() => {});
    await db.close();
    throw err;
  }
  const { port } = front.server.address() as AddressInfo;
  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async close() {
      if (closed) {
        return;
      }
      closed = true;
      await front.close();
      await server.stop();
      await db.close();
    },
  };
}
