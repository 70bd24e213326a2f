/**
 * Shared fixtures for the emulator's tests: a server over the local Redis, real `@upstash/redis`
 * clients pointed at it, a direct connection to the same Redis (the emulator's own RESP client),
 * an independent one as the differential tests' oracle (ioredis: its own RESP decoder, so a bug of
 * ours cannot hide on both sides), and per-run key prefixes.
 * @module
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { Redis as IoRedis } from "ioredis";
import { RespClient, type RespReply } from "./resp-client";
import { startUpstashRestServer, type UpstashRestServer } from "./server";

/** The Redis the tests run against. @default redis://127.0.0.1:6379 (override with REDIS_URL) */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A plain JS view of a RESP reply, shaped like `@upstash/redis` results without deserialization. */
export type JsReply = string | number | null | { error: string } | JsReply[];

/** Converts a reply the way the client presents it: bytes as UTF-8 text, errors as `{error}`. */
export function toJs(reply: RespReply): JsReply {
  switch (reply.kind) {
    case "bulk":
      return reply.value.toString("utf8");
    case "status":
      return reply.value;
    case "integer":
      return reply.value;
    case "nil":
      return null;
    case "error":
      return { error: reply.message };
    case "array":
      return reply.items.map(toJs);
  }
}

/**
 * Sends `command` to Redis through ioredis (its string API: bulk replies as UTF-8 text) and returns
 * the reply shaped like {@link toJs}'s: error replies, at any depth, as `{error}`.
 * @throws when Redis cannot be reached (anything but an error reply)
 */
export async function askOracle(oracle: IoRedis, command: (string | number)[]): Promise<JsReply> {
  const [name, ...args] = command;
  if (name === undefined) {
    throw new TypeError("empty command");
  }
  try {
    // Upper case on purpose: ioredis reshapes some replies (HGETALL into an object) by the
    // lower-case command name, and the oracle must give Redis's reply as Redis sent it.
    return fromIoredis(await oracle.call(String(name).toUpperCase(), ...args));
  } catch (error: unknown) {
    if (isReplyError(error)) {
      return { error: error.message };
    }
    throw error;
  }
}

function fromIoredis(value: unknown): JsReply {
  if (isReplyError(value)) {
    // An error inside an array (a script's error table, a transaction's failed command).
    return { error: value.message };
  }
  if (Array.isArray(value)) {
    return value.map(fromIoredis);
  }
  if (value === null || typeof value === "string" || typeof value === "number") {
    return value;
  }
  throw new TypeError(`unexpected ioredis reply ${String(value)}`);
}

function isReplyError(value: unknown): value is Error {
  return value instanceof Error && value.name === "ReplyError";
}

/** The Redis error text inside an `@upstash/redis` error message (both auto-pipelined and direct). */
export function redisErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Command failed: /, "").replace(/, command was: [\s\S]*$/, "");
}

/** Everything a test file needs; `close()` deletes the run's keys and stops the server. */
export type Harness = {
  server: UpstashRestServer;
  /** Direct connection to the same Redis, through the emulator's own RESP client. */
  direct: RespClient;
  /** Independent connection to the same Redis (ioredis): the differential tests' oracle. */
  oracle: IoRedis;
  /** Random prefix of every key this run may create. */
  prefix: string;
  /** A key under {@link Harness.prefix}. */
  key: (name: string) => string;
  /** A real `@upstash/redis` (Node entry) client for the server; options override the defaults. */
  client: (options?: Partial<RedisConfigNodejs>) => Redis;
  /** Runs one command directly against Redis. */
  run: (...args: (string | number)[]) => Promise<RespReply>;
  close: () => Promise<void>;
};

/** Starts a server with a random token and key prefix. */
export async function startHarness(): Promise<Harness> {
  const token = `test-token-${randomBytes(8).toString("hex")}`;
  const server = await startUpstashRestServer({ redisUrl: TEST_REDIS_URL, token });
  const direct = new RespClient(TEST_REDIS_URL);
  // RESP2, as the emulator speaks to Redis and as Upstash presents replies (ioredis defaults to 3).
  const oracle = new IoRedis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  const prefix = `upstash-rest-test:${randomBytes(6).toString("hex")}`;
  return {
    server,
    direct,
    oracle,
    prefix,
    key: (name) => `${prefix}:${name}`,
    client: (options = {}) => new Redis({ url: server.url, token, ...options }),
    run: (...args) => direct.send(args.map(String)),
    async close() {
      await deleteByPrefix(direct, prefix);
      oracle.disconnect();
      await Promise.all([server.close(), direct.close()]);
    },
  };
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, so other users' keys are untouched). */
export async function deleteByPrefix(direct: RespClient, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const reply = await direct.send(["SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "1000"]);
    const [next, keys] = reply.kind === "array" ? reply.items : [];
    cursor = next?.kind === "bulk" ? next.value.toString() : "0";
    if (keys?.kind === "array" && keys.items.length > 0) {
      await direct.send(["UNLINK", ...keys.items.map((k) => (k.kind === "bulk" ? k.value : ""))]);
    }
  } while (cursor !== "0");
}

/** POSTs a raw JSON body to the server; returns status, parsed body and headers. */
export async function postJson(
  server: UpstashRestServer,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: JSON.parse(await res.text()), headers: res.headers };
}

/** A loopback port that was free a moment ago (bound, then released): nothing listens there. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) {
    throw new Error("no port");
  }
  return address.port;
}
