/**
 * `wrangler dev` as a managed child process for the throughput bench: bindings through a private env
 * file (not the command line), its own process group so that stopping it also stops the workerd
 * processes it started, and a readiness poll.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "./bench-stack";

// Run with this very node: the .bin shim's `#!/usr/bin/env node` could pick an older system node.
const WRANGLER = join(
  dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin/wrangler.js",
);

/** A running `wrangler dev`. */
export type WranglerDev = {
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  /** Stops wrangler and everything in its process group; safe to call twice. */
  stop(): Promise<void>;
};

/** What to serve. */
export type WranglerDevOptions = {
  /** `wrangler.toml` to use, or `undefined` for an entry without config. */
  config?: string;
  /** Entry script when there is no config (or to override `main`). */
  script?: string;
  /** Worker name (two sessions must not share one). */
  name: string;
  /** Bindings, written to a private env file. */
  vars: Record<string, string>;
  /** Needed without a config. */
  compatibilityDate?: string;
  compatibilityFlags?: string[];
};

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `wrangler dev` and resolves once `readyPath` answers any HTTP status. */
export async function startWranglerDev(
  opts: WranglerDevOptions,
  readyPath = "/",
): Promise<WranglerDev> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "eca-wrangler-"));
  const envFile = join(dir, "bindings.env");
  const lines = Object.entries(opts.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  await writeFile(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  await chmod(envFile, 0o600);
  const args = [WRANGLER, "dev"];
  if (opts.script !== undefined) {
    args.push(opts.script);
  }
  args.push("--name", opts.name);
  if (opts.config !== undefined) {
    args.push("--config", opts.config);
  }
  if (opts.compatibilityDate !== undefined) {
    args.push("--compatibility-date", opts.compatibilityDate);
  }
  for (const flag of opts.compatibilityFlags ?? []) {
    args.push("--compatibility-flags", flag);
  }
  args.push("--ip", "127.0.0.1", "--port", String(port), "--env-file", envFile);
  args.push("--show-interactive-dev-session=false", "--log-level", "warn");
  args.push("--persist-to", join(dir, "state"), "--inspector-port", String(await freePort()));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    // Own process group: stop() signals the whole group, workerd included.
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid ?? 0;
  let stopped = false;
  const stop = async () => {
    if (stopped) {
      return;
    }
    stopped = true;
    signalGroup(pid, "SIGTERM");
    const force = setTimeout(() => signalGroup(pid, "SIGKILL"), 5000);
    await exited;
    clearTimeout(force);
    // wrangler has exited; anything left in its group (workerd) goes too.
    signalGroup(pid, "SIGKILL");
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited early (${child.exitCode}):\n${stderr}`);
    }
    const answered = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => {
        await r.body?.cancel();
        return true;
      },
      () => false,
    );
    if (answered) {
      return { url, pid, stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer on ${url} within 90 s:\n${stderr}`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
