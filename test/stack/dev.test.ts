import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../emulators/redis-server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const hasWorker = existsSync(join(ROOT, "src/index.ts"));

/** Every process whose ancestry leads to `pid` (Linux `ps`). */
function descendants(pid: number): number[] {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" });
  const children = new Map<number, number[]>();
  for (const line of table.trim().split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child !== undefined && parent !== undefined) {
      children.set(parent, [...(children.get(parent) ?? []), child]);
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with everything printed so far once `marker` has been printed. */
function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "${marker}" in:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dev exited (${code}) before "${marker}":\n${out}`));
    });
  });
}

describe.skipIf(!hasWorker)("npm run dev", () => {
  let dir: string | undefined;
  let dev: ChildProcess | undefined;
  afterAll(async () => {
    // Only if the test failed half-way: the whole group is ours (detached below).
    if (dev?.pid !== undefined && alive(dev.pid)) {
      process.kill(-dev.pid, "SIGKILL");
    }
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serves the Worker with no REDIS_URL or DATABASE_URL, and SIGTERM leaves no process behind", async () => {
    dir = await mkdtemp(join(tmpdir(), "eca-dev-"));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), PGLITE_DIR: dir };
    for (const name of ["REDIS_URL", "DATABASE_URL", "API_TOKEN", "CACHE_KEY_PREFIX"]) {
      delete env[name];
    }
    // What `npm run dev` execs; detached = its own process group, like a terminal session.
    dev = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = dev.pid ?? -1;
    const banner = await waitForOutput(dev, "Ctrl-C stops everything", 90_000);
    expect(banner).toContain(`Worker:     http://127.0.0.1:${port}`);
    const token = /API token:\s+(\S+)/.exec(banner)?.[1];
    expect(token).toBe("dev-token");

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", db: "ok", redis: "ok" });
    const id = `dev-${Date.now().toString(36)}`;
    const put = await fetch(`http://127.0.0.1:${port}/products/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Dev lamp", priceCents: 100 }),
    });
    expect(put.status).toBe(201);

    const started = descendants(pid);
    // redis-server, wrangler and workerd at least.
    expect(started.length).toBeGreaterThanOrEqual(3);
    const exited = new Promise<number | null>((resolve) => dev?.once("exit", resolve));
    process.kill(pid, "SIGTERM");
    expect(await exited).toBe(143);
    // Grandchildren (esbuild's service, workerd) exit on their own once their parent is gone; give
    // the OS a bounded moment to reap them rather than asserting on the same tick.
    const deadline = Date.now() + 5000;
    while ([pid, ...started].some(alive) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([pid, ...started].filter(alive)).toEqual([]);
    expect(readdirSync(join(ROOT, ".local")).filter((f) => f === `dev-${pid}.env`)).toEqual([]);
  }, 120_000);
});
