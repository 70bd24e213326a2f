/** Starts `relay-child.ts` and controls it from the bench runner. */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { RelayLatency } from "./latency-relay";
import type { RelayCommand, RelayReport } from "./relay-child";

/** The relay as the runner sees it. */
export type RelayHandle = {
  /** `redis://127.0.0.1:<port>`: what a Node peer connects to instead of Redis. */
  url: string;
  setLatency(latency: RelayLatency): Promise<void>;
  close(): Promise<void>;
};

/** Forks the relay in front of `upstream` (the real Redis). */
export async function startRelay(root: string, upstream: string): Promise<RelayHandle> {
  const proc: ChildProcess = fork(join(root, "bench/lib/relay-child.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_RELAY_UPSTREAM: upstream },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const next = () =>
    new Promise<RelayReport>((resolve, reject) => {
      proc.once("message", (message) => resolve(message as RelayReport));
      proc.once("exit", (code) => reject(new Error(`latency relay exited with ${code}`)));
    });
  const ready = await next();
  if (ready.type !== "ready") {
    throw new Error("latency relay did not start");
  }
  const command = (message: RelayCommand) => proc.send(message);
  return {
    url: ready.url,
    async setLatency(latency) {
      const answered = next();
      command({ type: "latency", ...latency });
      await answered;
    },
    async close() {
      if (proc.exitCode === null && proc.connected) {
        command("close");
      }
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
