/**
 * A private, throw-away `redis-server` for `npm run dev` when no `REDIS_URL` is given.
 *
 * It runs the binary found on PATH on a free loopback port, with persistence off and its own
 * temporary working directory, so it never touches (or is touched by) a system Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options of {@link startRedisServer}. */
export type RedisServerOptions = {
  /** Port to listen on. @default a free port chosen by the OS */
  port?: number;
  /** Binary to run. @default "redis-server" (looked up on PATH) */
  bin?: string;
  /** How long to wait for the first PONG, in ms. @default 10000 */
  startTimeoutMs?: number;
  /**
   * Extra command-line options appended after the defaults (a later option wins), e.g.
   * `["--replicaof", "127.0.0.1", "6380"]`. @default []
   */
  args?: readonly string[];
};

/** A running private Redis. */
export type RedisServerHandle = {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its data directory. */
  close(): Promise<void>;
};

/** The line printed when the binary cannot be run. */
export const REDIS_MISSING_MESSAGE =
  "redis-server not found on PATH: install it (`apt-get install redis-server`, `brew install redis`) or set REDIS_URL=redis://host:port to use a running Redis.";

/** Asks the OS for a free loopback TCP port (released immediately, then reused by the caller). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves `true` when a Redis on `port` answers PING with PONG. */
export async function redisAnswersPing(port: number, host = "127.0.0.1"): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = createConnection({ port, host });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) {
        done(reply.startsWith("+PONG"));
      }
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

/**
 * Starts `redis-server` with `--save "" --appendonly no --bind 127.0.0.1 --port N --dir <tmp>` and
 * waits until it answers PING. Throws an `Error` whose message is {@link REDIS_MISSING_MESSAGE} when
 * the binary is not installed.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), "eca-redis-"));
  const args = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--port", String(port)];
  args.push("--dir", dir, "--loglevel", "warning", ...(opts.args ?? []));
  const child = spawn(opts.bin ?? "redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<Error>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      resolve(err.code === "ENOENT" ? new Error(REDIS_MISSING_MESSAGE) : err);
    });
    child.once("exit", (code, signal) => {
      resolve(new Error(`redis-server exited (${code ?? signal}): ${stderr.trim()}`));
    });
  });
  const close = () => stopChild(child, dir);
  try {
    await Promise.race([
      waitForPing(port, opts.startTimeoutMs ?? 10_000),
      exited.then((err) => Promise.reject(err)),
    ]);
  } catch (err: unknown) {
    await close();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, close };
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await redisAnswersPing(port)) {
      return;
    }
    // Polling is fine here: redis-server has no readiness signal other than answering.
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
