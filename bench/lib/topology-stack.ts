/** Starts `topology-child.ts` and drives it from the bench runner (see that file). */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { deleteKeysByPrefix } from "../../harness/redis-keys";
import type {
  TopologyCommand,
  TopologyDelays,
  TopologyReady,
  TopologyReport,
} from "./topology-child";

/** A running topology. */
export type TopologyStack = {
  bindings: Record<string, string>;
  upstash: { url: string; token: string };
  prefix: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** Inserts products `ids` (version 1) on the primary. */
  seed(ids: readonly string[]): Promise<void>;
  /** Deletes every key of this run from the Redis primary (the replica follows). */
  flushKeys(): Promise<number>;
  /** Sets both replicas' lag, in ms. */
  setLag(ms: number): Promise<void>;
  close(): Promise<void>;
};

/** Forks the topology child with `delays` and waits until it runs. */
export async function startTopologyStack(
  root: string,
  delays: TopologyDelays,
): Promise<TopologyStack> {
  const prefix = `bench-topo:${randomBytes(5).toString("hex")}:`;
  const proc: ChildProcess = fork(join(root, "bench/lib/topology-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_TOPOLOGY: JSON.stringify(delays), BENCH_KEY_PREFIX: prefix },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const next = () =>
    new Promise<TopologyReport>((resolve, reject) => {
      proc.once("message", (message) => resolve(message as TopologyReport));
      proc.once("exit", (code) => reject(new Error(`topology stack exited with ${code}`)));
    });
  const first = await next();
  if (first.type !== "ready") {
    throw new Error(`topology stack failed: ${first.type === "error" ? first.message : "?"}`);
  }
  const ready: TopologyReady = first;
  const command = (message: TopologyCommand) => proc.send(message);
  const pool = new pg.Pool({ connectionString: ready.databaseUrl, max: 2 });
  // pg-pool re-emits an error of a client it is still ending (a FORCE-dropped database terminates
  // it) on the pool: without a listener that is an uncaught exception.
  pool.on("error", () => {});
  return {
    bindings: ready.bindings,
    upstash: ready.upstash,
    prefix,
    compatibilityDate: ready.compatibilityDate,
    compatibilityFlags: ready.compatibilityFlags,
    async seed(ids) {
      const values = ids.map((_, i) => `($${i + 1}, 'Bench product', 1999)`).join(", ");
      await pool.query(
        `INSERT INTO products (id, name, price_cents) VALUES ${values} ON CONFLICT (id) DO NOTHING`,
        [...ids],
      );
    },
    flushKeys: () => deleteKeysByPrefix(ready.redisPrimaryUrl, prefix),
    async setLag(ms) {
      const answered = next();
      command({ type: "lag", ms });
      await answered;
    },
    async close() {
      await pool.end().catch(() => {});
      if (proc.exitCode === null && proc.connected) {
        command("close");
      }
      const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
