/**
 * Bench isolates as Node processes (`bench/node-host.ts` under tsx), one per isolate, for the peers
 * that cannot run inside workerd; the same client as the workerd isolates (`cluster.ts`).
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { NodeHostReady } from "../node-host";
import { type Cluster, clusterClient } from "./cluster";

/** What {@link startNodeCluster} needs. */
export type NodeClusterOptions = {
  /** The repository root. */
  root: string;
  isolates: number;
  bindings: Record<string, string>;
};

type Host = { url: string; close(): Promise<void> };

async function startHost(root: string, bindings: Record<string, string>): Promise<Host> {
  const proc: ChildProcess = fork(join(root, "bench/node-host.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_BINDINGS: JSON.stringify(bindings) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const ready = await new Promise<NodeHostReady>((resolve, reject) => {
    proc.once("message", (message) => resolve(message as NodeHostReady));
    proc.once("exit", (code) => reject(new Error(`bench Node host exited with ${code}`)));
  });
  return {
    url: ready.url,
    async close() {
      if (proc.exitCode === null && proc.connected) {
        proc.send("close");
      }
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts `isolates` Node hosts and returns the bench client over them. */
export async function startNodeCluster(opts: NodeClusterOptions): Promise<Cluster> {
  const hosts = await Promise.all(
    Array.from({ length: opts.isolates }, () => startHost(opts.root, opts.bindings)),
  );
  return clusterClient(
    "node",
    hosts.map((h) => ({ base: h.url, headers: {} })),
    async () => {
      await Promise.all(hosts.map((h) => h.close()));
    },
  );
}
