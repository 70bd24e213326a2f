/**
 * A private `redis-server` that the forgetful profile may abuse: flush it, shrink its memory, kill
 * it and bring it back from an older snapshot. It runs on its own loopback port with its own data
 * directory (`--dir`, since Redis 7 refuses `CONFIG SET dir`) and no automatic persistence
 * (`--save ""`), so the shared Redis of the other tests is never touched.
 *
 * A restart keeps the port, so the Upstash REST server in front of it (and the Worker behind that)
 * see the same Redis come back, only with older data.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, redisAnswersPing } from "../../emulators/redis-server";
import { RespClient, type RespReply } from "../../emulators/upstash-rest/resp-client";

/** The file Redis loads at start and writes on `SAVE`. */
const DUMP_FILE = "dump.rdb";

/** A snapshot kept aside: a copy of the RDB file that `SAVE` wrote. */
export type Snapshot = { file: string; keys: number };

/** A running private Redis (see the module comment). */
export type PrivateRedis = {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Runs one command; an error reply is thrown as an `Error`. */
  command(...args: (string | number)[]): Promise<RespReply>;
  /** Runs commands pipelined on one connection; error replies are returned, not thrown. */
  pipeline(commands: readonly (readonly (string | number)[])[]): Promise<RespReply[]>;
  /** `SAVE`, then a copy of the RDB file: what a restart can later come back with. */
  snapshot(): Promise<Snapshot>;
  /**
   * Stops the server without saving (`SHUTDOWN NOSAVE`), puts `snapshot` in place of its RDB file
   * and starts it again on the same port; resolves once it answers PING.
   */
  restartFrom(snapshot: Snapshot): Promise<void>;
  /** `evicted_keys` summed over every lifetime of the server (INFO resets on a restart). */
  evictedKeys(): Promise<number>;
  /** Stops the server and removes its data directory. */
  close(): Promise<void>;
};

/** Options of {@link startPrivateRedis}. */
export type PrivateRedisOptions = {
  /** @default "redis-server" (on PATH) */
  bin?: string;
  /** How long a start may take until PING answers, ms. @default 10000 */
  startTimeoutMs?: number;
};

/** Starts a private Redis (see the module comment). */
export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "eca-forgetful-redis-"));
  const args = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--port", String(port)];
  args.push("--dir", dir, "--dbfilename", DUMP_FILE, "--loglevel", "warning");
  const launch = () => launchServer(opts.bin ?? "redis-server", args, port, opts.startTimeoutMs);
  let child: ChildProcess;
  try {
    child = await launch();
  } catch (err: unknown) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let client = new RespClient(`redis://127.0.0.1:${port}`, { poolSize: 2 });
  let evictedBefore = 0;
  let snapshots = 0;

  const command = async (...parts: (string | number)[]): Promise<RespReply> => {
    const reply = await client.send(parts.map(String));
    if (reply.kind === "error") {
      throw new Error(`${String(parts[0])}: ${reply.message}`);
    }
    return reply;
  };
  const evictedNow = async () => infoField(await command("INFO", "stats"), "evicted_keys");

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    command,
    pipeline: (commands) => client.sendMany(commands.map((c) => c.map(String))),
    async snapshot() {
      await command("SAVE");
      snapshots += 1;
      const file = join(dir, `snapshot-${snapshots}.rdb`);
      await copyFile(join(dir, DUMP_FILE), file);
      const size = await command("DBSIZE");
      return { file, keys: size.kind === "integer" ? size.value : 0 };
    },
    async restartFrom(snapshot) {
      evictedBefore += await evictedNow();
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // The connection drops as the server exits: no reply is the expected outcome.
      await client.send(["SHUTDOWN", "NOSAVE"]).catch(() => undefined);
      await exited;
      await client.close();
      await copyFile(snapshot.file, join(dir, DUMP_FILE));
      child = await launch();
      client = new RespClient(`redis://127.0.0.1:${port}`, { poolSize: 2 });
    },
    async evictedKeys() {
      return evictedBefore + (await evictedNow());
    },
    async close() {
      await client.close();
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A numeric field of an `INFO` reply (`evicted_keys:12`). */
export function infoField(reply: RespReply, field: string): number {
  const text = reply.kind === "bulk" ? reply.value.toString("utf8") : "";
  const match = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  return match === null ? 0 : Number(match[1]);
}

async function launchServer(
  bin: string,
  args: string[],
  port: number,
  timeoutMs = 10_000,
): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  const exited = new Promise<never>((_, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      reject(new Error(`redis-server exited (${code ?? signal}): ${stderr.trim()}`)),
    );
  });
  const deadline = Date.now() + timeoutMs;
  const ready = (async () => {
    while (!(await redisAnswersPing(port))) {
      if (Date.now() > deadline) {
        throw new Error(`redis-server on port ${port} did not answer PING in ${timeoutMs} ms`);
      }
      // redis-server has no readiness signal other than answering.
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err: unknown) {
    await stopChild(child);
    throw err;
  }
  // Later exits are expected (restarts, close): they must not become unhandled rejections.
  exited.catch(() => undefined);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await gone;
  clearTimeout(timer);
}
