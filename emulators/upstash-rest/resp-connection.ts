/**
 * One TCP connection to Redis speaking RESP2, with in-order pipelining.
 * @module
 */
import { connect, type Socket } from "node:net";
import { encodeCommand, RespParser, type RespReply } from "./resp-parser";

/** A Redis command: the name and its arguments, as text or raw bytes. */
export type RespCommand = readonly (string | Buffer)[];

/** Where and how to connect. */
export type RespEndpoint = {
  host: string;
  port: number;
  /** Sent as `AUTH [username] password` right after connecting. @default undefined (no AUTH) */
  password?: string;
  /** ACL user for AUTH. @default undefined (the default user) */
  username?: string;
  /** Database selected right after connecting. @default 0 */
  db?: number;
  /** Give up connecting after this many ms. @default 2000 */
  connectTimeoutMs?: number;
};

/**
 * The connection to Redis failed or dropped (as opposed to Redis answering with an error reply).
 * Callers map this to "Redis unreachable".
 */
export class RedisConnectionError extends Error {
  override name = "RedisConnectionError";
}

type Pending = { resolve: (reply: RespReply) => void; reject: (error: Error) => void };

/** A single connection. Replies arrive in command order, so a FIFO of waiters is enough. */
export class RespConnection {
  readonly #endpoint: RespEndpoint;
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #ready: Promise<void>;
  #closed: RedisConnectionError | undefined;
  #rejectReady: (error: Error) => void = () => undefined;

  private constructor(endpoint: RespEndpoint) {
    this.#endpoint = endpoint;
    const parser = new RespParser((reply) => this.#pending.shift()?.resolve(reply));
    this.#socket = connect({ host: endpoint.host, port: endpoint.port });
    this.#socket.setNoDelay(true);
    this.#socket.setTimeout(endpoint.connectTimeoutMs ?? 2000);
    this.#ready = new Promise((resolve, reject) => {
      this.#rejectReady = reject;
      this.#socket.once("connect", () => {
        this.#socket.setTimeout(0); // only the connect phase is bounded; commands may be slow
        resolve();
      });
    });
    this.#ready.catch(() => undefined); // surfaced through open(); avoid an unhandled rejection
    this.#socket.on("timeout", () => this.#fail(new Error("connect timeout")));
    this.#socket.on("error", (error) => this.#fail(error));
    this.#socket.on("close", () => this.#fail(new Error("connection closed")));
    this.#socket.on("data", (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (error: unknown) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Connects, authenticates and selects the database. Rejects with {@link RedisConnectionError}. */
  static async open(endpoint: RespEndpoint): Promise<RespConnection> {
    const connection = new RespConnection(endpoint);
    await connection.#ready;
    const setup: RespCommand[] = [];
    if (endpoint.password !== undefined) {
      setup.push(
        endpoint.username === undefined
          ? ["AUTH", endpoint.password]
          : ["AUTH", endpoint.username, endpoint.password],
      );
    }
    if (endpoint.db !== undefined && endpoint.db !== 0) {
      setup.push(["SELECT", String(endpoint.db)]);
    }
    for (const reply of await connection.sendMany(setup)) {
      if (reply.kind === "error") {
        connection.close();
        throw new RedisConnectionError(`connection setup failed: ${reply.message}`);
      }
    }
    return connection;
  }

  /** `false` once the socket errored or closed; such a connection is never reused. */
  get healthy(): boolean {
    return this.#closed === undefined;
  }

  /** Sends one command; resolves with its reply (error replies included). */
  async send(command: RespCommand): Promise<RespReply> {
    const [reply] = await this.sendMany([command]);
    if (reply === undefined) {
      throw new RedisConnectionError("no reply");
    }
    return reply;
  }

  /**
   * Writes all commands in one go and resolves with their replies in the same order. Rejects with
   * {@link RedisConnectionError} when the connection drops before every reply arrived.
   */
  sendMany(commands: readonly RespCommand[]): Promise<RespReply[]> {
    if (this.#closed !== undefined) {
      return Promise.reject(this.#closed);
    }
    if (commands.length === 0) {
      return Promise.resolve([]);
    }
    const replies = commands.map(
      () =>
        new Promise<RespReply>((resolve, reject) => {
          this.#pending.push({ resolve, reject });
        }),
    );
    this.#socket.write(Buffer.concat(commands.map((command) => encodeCommand(command))));
    return Promise.all(replies);
  }

  /** Closes the socket; pending commands reject. */
  close(): void {
    this.#fail(new Error("connection closed by the client"));
    this.#socket.destroy();
  }

  #fail(cause: Error): void {
    if (this.#closed === undefined) {
      const { host, port } = this.#endpoint;
      this.#closed = new RedisConnectionError(`Redis at ${host}:${port}: ${cause.message}`, {
        cause,
      });
      this.#socket.destroy();
      this.#rejectReady(this.#closed);
    }
    for (const waiter of this.#pending.splice(0)) {
      waiter.reject(this.#closed);
    }
  }
}
