/**
 * Minimal RESP2 client for real Redis: a small pool of pipelined connections for ordinary
 * commands, plus dedicated connections lent out one transaction at a time (so two concurrent
 * `MULTI`…`EXEC` blocks can never interleave on one socket).
 *
 * Connections are opened lazily and replaced lazily: after Redis restarts, the next command on a
 * dropped connection fails once with {@link RedisConnectionError}, the one after it reconnects.
 * @module
 */
import {
  RedisConnectionError,
  type RespCommand,
  RespConnection,
  type RespEndpoint,
} from "./resp-connection";
import type { RespReply } from "./resp-parser";

export { encodeCommand, RespParser, RespProtocolError, type RespReply } from "./resp-parser";
export { RedisConnectionError, type RespCommand, RespConnection, type RespEndpoint };

/** Pool sizing. */
export type RespClientOptions = {
  /** Shared connections used round-robin for ordinary commands. @default 4 */
  poolSize?: number;
  /** Dedicated (transaction) connections kept open when idle. @default 4 */
  maxIdleDedicated?: number;
};

/**
 * Parses `redis://[[user]:password@]host[:port][/db]`.
 * @throws TypeError for another scheme or a non-numeric database
 */
export function parseRedisUrl(url: string): RespEndpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== "redis:") {
    throw new TypeError(`unsupported Redis URL scheme ${parsed.protocol} (use redis://)`);
  }
  const dbText = parsed.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d+$/.test(dbText)) {
    throw new TypeError(`invalid database number ${JSON.stringify(dbText)} in Redis URL`);
  }
  const endpoint: RespEndpoint = {
    // URL keeps IPv6 literals bracketed; net.connect wants them bare.
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db: dbText === "" ? 0 : Number(dbText),
  };
  if (parsed.password !== "") {
    endpoint.password = decodeURIComponent(parsed.password);
    if (parsed.username !== "") {
      endpoint.username = decodeURIComponent(parsed.username);
    }
  }
  return endpoint;
}

/** A pool of RESP2 connections to one Redis database. */
export class RespClient {
  readonly endpoint: RespEndpoint;
  readonly #slots: (Promise<RespConnection> | undefined)[];
  readonly #idleDedicated: RespConnection[] = [];
  readonly #lentDedicated = new Set<RespConnection>();
  readonly #maxIdleDedicated: number;
  #next = 0;
  #closed = false;

  /** @param target a `redis://` URL (see {@link parseRedisUrl}) or an endpoint */
  constructor(target: string | RespEndpoint, options: RespClientOptions = {}) {
    this.endpoint = typeof target === "string" ? parseRedisUrl(target) : target;
    this.#slots = new Array<Promise<RespConnection> | undefined>(options.poolSize ?? 4).fill(
      undefined,
    );
    this.#maxIdleDedicated = options.maxIdleDedicated ?? 4;
  }

  /** Runs one command on a shared connection; error replies resolve, connection failures reject. */
  async send(command: RespCommand): Promise<RespReply> {
    return (await this.#shared()).send(command);
  }

  /** Runs commands in order on one shared connection (pipelined, not atomic). */
  async sendMany(commands: readonly RespCommand[]): Promise<RespReply[]> {
    return (await this.#shared()).sendMany(commands);
  }

  /**
   * Lends one connection that nobody else uses until `use` settles — for `MULTI`…`EXEC`. The
   * connection goes back to the idle set only when `use` succeeded (its state is then known clean).
   */
  async withDedicated<T>(use: (connection: RespConnection) => Promise<T>): Promise<T> {
    this.#assertOpen();
    let connection = this.#idleDedicated.pop();
    while (connection !== undefined && !connection.healthy) {
      connection = this.#idleDedicated.pop();
    }
    connection ??= await RespConnection.open(this.endpoint);
    this.#lentDedicated.add(connection);
    let clean = false;
    try {
      const result = await use(connection);
      clean = true;
      return result;
    } finally {
      this.#lentDedicated.delete(connection);
      const keep =
        clean &&
        !this.#closed &&
        connection.healthy &&
        this.#idleDedicated.length < this.#maxIdleDedicated;
      if (keep) {
        this.#idleDedicated.push(connection);
      } else {
        connection.close();
      }
    }
  }

  /** Closes every connection; later calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#slots.splice(0).filter((slot) => slot !== undefined);
    for (const connection of [...this.#idleDedicated.splice(0), ...this.#lentDedicated]) {
      connection.close();
    }
    for (const slot of await Promise.allSettled(opening)) {
      if (slot.status === "fulfilled") {
        slot.value.close();
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new RedisConnectionError("the Redis client was closed");
    }
  }

  /** The next shared connection round-robin, (re)opened when missing or dropped. */
  async #shared(): Promise<RespConnection> {
    this.#assertOpen();
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#slots.length;
    for (;;) {
      const slot = this.#slots[index];
      if (slot === undefined) {
        const opening = RespConnection.open(this.endpoint);
        this.#slots[index] = opening;
        return opening;
      }
      const connection = await slot.catch(() => undefined);
      if (connection?.healthy) {
        return connection;
      }
      this.#assertOpen();
      // Another caller may have replaced the slot while we waited; only clear the stale one.
      if (this.#slots[index] === slot) {
        this.#slots[index] = undefined;
      }
    }
  }
}
