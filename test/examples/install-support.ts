/**
 * Packing `lease-cache` and installing it into copies of the example projects, as a user would:
 * `npm pack`, then `npm install <tarball>` in a fresh directory outside the workspace, so nothing
 * can resolve to the workspace's sources or its symlink.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What `npm pack --json` reports about one tarball (the fields used here). */
export type Packed = {
  /** Absolute path of the tarball. */
  tarball: string;
  size: number;
  unpackedSize: number;
  integrity: string;
  files: { path: string; size: number }[];
};

/** A finished command. */
export type Ran = { code: number | null; stdout: string; stderr: string };

/**
 * The environment for child npm and node processes: this process's, minus the `npm_*` variables
 * an enclosing `npm test` sets (`npm_config_local_prefix` and friends would point a child npm at
 * the workspace).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith("npm_")) {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}

/** Runs `command` to completion (never rejects on a non-zero exit: the caller asserts). */
export function run(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `command` and rejects, with its output, unless it exits 0. */
export async function runOk(command: string, args: string[], cwd: string): Promise<Ran> {
  const ran = await run(command, args, cwd);
  if (ran.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`,
    );
  }
  return ran;
}

/** Packs `packages/lease-cache` (its `prepack` builds `dist/`) into `dir`. */
export async function packLeaseCache(dir: string): Promise<Packed> {
  const ran = await runOk(
    "npm",
    ["pack", "--json", "--pack-destination", dir],
    join(ROOT, "packages/lease-cache"),
  );
  // `prepack`'s own output comes first on stdout; the JSON report is the last thing printed.
  const report = JSON.parse(ran.stdout.slice(ran.stdout.lastIndexOf("\n[") + 1)) as [
    Omit<Packed, "tarball"> & { filename: string },
  ];
  const [first] = report;
  return { ...first, tarball: join(dir, first.filename) };
}

/**
 * Copies `examples/<name>` (without any `node_modules` or build output of a local run) to
 * `<dir>/<name>` and installs its dependencies there, `lease-cache` from `tarball`.
 */
export async function installExample(name: string, dir: string, tarball: string): Promise<string> {
  const target = join(dir, name);
  await cp(join(ROOT, "examples", name), target, {
    recursive: true,
    filter: (source) => !/[/\\](node_modules|dist|\.wrangler)([/\\]|$)/.test(source),
  });
  await runOk("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], target);
  return target;
}

/** The lockfile entry npm wrote for `lease-cache` in an installed example. */
export async function lockedLeaseCache(
  exampleDir: string,
): Promise<{ resolved?: string; integrity?: string; link?: boolean } | undefined> {
  const lock = JSON.parse(await readFile(join(exampleDir, "package-lock.json"), "utf8")) as {
    packages: Record<string, { resolved?: string; integrity?: string; link?: boolean }>;
  };
  return lock.packages["node_modules/lease-cache"];
}

/** A started Node example server. */
export type NodeServer = { url: string; child: ChildProcess; output: () => string; stop(): void };

/**
 * Starts `node src/server.ts` (what the example's `npm start` runs) in `exampleDir` on a free
 * port and resolves once it prints its address.
 */
export function startNodeExample(
  exampleDir: string,
  env: Record<string, string>,
): Promise<NodeServer> {
  const child = spawn(process.execPath, ["src/server.ts"], {
    cwd: exampleDir,
    env: childEnv({ ...env, PORT: "0" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const stop = () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
    }
  };
  return new Promise((resolve, reject) => {
    const onData = () => {
      const address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (address !== undefined) {
        child.stdout.off("data", onData);
        resolve({ url: address, child, output: () => output, stop });
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the example exited (${code}):\n${output}`)));
  });
}
