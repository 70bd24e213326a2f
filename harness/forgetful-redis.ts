/**
 * A private `redis-server` that can be made to forget, for drills and the checker: flush it, take
 * a snapshot (`SAVE`, the RDB file kept aside), and restart it on the same port from an older
 * snapshot, so it comes back with older data — what a restart from a stale RDB or a failover to a
 * replica that missed writes looks like to its clients. Never the shared Redis: other tests use
 * that one at the same time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, redisAnswersPing } from "../emulators/redis-server";

/** A snapshot file taken by {@link ForgetfulRedis.snapshot}. */
export type RedisSnapshot = { file: string };

/** A running private Redis that can forget. */
export type ForgetfulRedis = {
  url: string;
  port: number;
  /** One command (on a connection that reconnects after a restart). */
  command(...args: (string | number)[]): Promise<unknown>;
  /** `FLUSHDB`. */
  flush(): Promise<void>;
  /** `SAVE`, keeping the RDB file aside. */
  snapshot(): Promise<RedisSnapshot>;
  /** Stops the server without saving and starts it again on the same port from `snapshot`. */
  restartFrom(snapshot: RedisSnapshot): Promise<void>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
};

const RDB = "dump.rdb";

/** Starts a private Redis in a directory of its own, with no automatic persistence. */
export async function startForgetfulRedis(): Promise<ForgetfulRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "eca-forgetful-redis-"));
  let child = await spawnRedis(port, dir);
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 5 });
  client.on("error", () => {});
  let snapshots = 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    command: (...args) => client.call(String(args[0]), ...args.slice(1).map(String)),
    async flush() {
      await client.call("FLUSHDB");
    },
    async snapshot() {
      await client.call("SAVE");
      snapshots += 1;
      const file = join(dir, `snapshot-${snapshots}.rdb`);
      await copyFile(join(dir, RDB), file);
      return { file };
    },
    async restartFrom(snapshot) {
      await stop(child);
      await copyFile(snapshot.file, join(dir, RDB));
      child = await spawnRedis(port, dir);
    },
    async close() {
      client.disconnect();
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
  args.push("--dbfilename", RDB, "--save", "", "--appendonly", "no", "--loglevel", "warning");
  const child = spawn("redis-server", args, { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`private redis-server on port ${port} did not start`);
    }
    // redis-server has no readiness signal other than answering.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return child;
}

/** SIGKILL: like a crash, nothing saved on the way out (the snapshot is all that survives). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await gone;
}
