/**
 * Proof that `lease-cache` installs and works as a published package: `npm pack`, then each
 * example under `examples/` copied to a fresh directory, installed with the tarball, typechecked
 * against the published declarations, and run:
 * - `node-ioredis`: its Node server against the local Redis;
 * - `hono-worker-upstash`: bundled by its own esbuild and run in workerd (Miniflare) against the
 *   run's Upstash REST server.
 */
import { lstat, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Redis } from "ioredis";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type Call, registerApiScenario, toExchange } from "./api-scenario";
import {
  installExample,
  lockedLeaseCache,
  type NodeServer,
  type Packed,
  packLeaseCache,
  type Ran,
  ROOT,
  run,
  runOk,
  startNodeExample,
} from "./install-support";

/** Packing, two installs, two typechecks and a bundle, on a loaded 2-core machine. */
const SETUP_TIMEOUT_MS = 120_000;
/**
 * Largest acceptable tarball: the built code and the docs, nothing else. They pack to 66 KB
 * (December 2026); the sources would add about 50 KB more.
 */
const MAX_TARBALL_BYTES = 80 * 1024;

const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const runId = Math.random().toString(36).slice(2, 10);

let work = "";
let packed: Packed;
let nodeDir = "";
let workerDir = "";
/** Typecheck runs, by example directory: started with the installs, asserted by the tests. */
const typechecks = new Map<string, Ran>();
let publishedDeclarations: Ran;

/** Installs an example, then typechecks it; resolves with its directory. */
async function installAndTypecheck(name: string): Promise<string> {
  const dir = await installExample(name, work, packed.tarball);
  typechecks.set(dir, await run("npm", ["run", "typecheck"], dir));
  return dir;
}

// The slow steps (installs, three tsc runs, the bundle) overlap: they wait on the disk as much as
// on the CPU.
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "lease-cache-examples-"));
  packed = await packLeaseCache(work);
  [nodeDir, workerDir] = await Promise.all([
    installAndTypecheck("node-ioredis").then(async (dir) => {
      publishedDeclarations = await checkPublishedDeclarations(dir);
      return dir;
    }),
    installAndTypecheck("hono-worker-upstash").then(async (dir) => {
      await runOk("npm", ["run", "build"], dir);
      return dir;
    }),
  ]);
}, SETUP_TIMEOUT_MS);

/**
 * Compiles the published declarations of every production entry on their own, with the
 * example's TypeScript and `skipLibCheck` off (the default libraries are not re-checked).
 */
async function checkPublishedDeclarations(dir: string): Promise<Ran> {
  const config = join(dir, "tsconfig.published.json");
  await writeFile(
    config,
    JSON.stringify({
      compilerOptions: {
        target: "ES2023",
        lib: ["ES2023", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        types: [],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        skipDefaultLibCheck: true,
      },
      files: ["index", "adapters/upstash", "adapters/ioredis", "adapters/node-redis"].map(
        (entry) => `node_modules/lease-cache/dist/${entry}.d.ts`,
      ),
    }),
  );
  return run("npx", ["--no-install", "tsc", "-p", config], dir);
}

afterAll(async () => {
  if (work !== "") {
    await rm(work, { recursive: true, force: true });
  }
});

/** Deletes this run's example keys (entries expire anyway; this keeps the shared Redis tidy). */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) {
        await redis.del(...keys);
      }
    } while (cursor !== "0");
  } finally {
    await redis.quit();
  }
}

describe("the packed lease-cache tarball", () => {
  it("holds the built entries, the README, the changelog and the licence, and no sources or tests", async () => {
    const paths = packed.files.map((f) => f.path);
    for (const path of paths) {
      expect(path).toMatch(
        /^(dist\/.+\.(js|d\.ts)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/,
      );
      expect(path).not.toMatch(/(^|\/)src\/|\.test\./);
    }
    expect(paths).toEqual(expect.arrayContaining(["README.md", "CHANGELOG.md", "LICENSE"]));
    const manifest = JSON.parse(
      await readFile(join(ROOT, "packages/lease-cache/package.json"), "utf8"),
    ) as { exports: Record<string, string | Record<string, string>> };
    const targets = Object.values(manifest.exports).flatMap((t) =>
      typeof t === "string" ? [t] : Object.values(t),
    );
    for (const target of targets) {
      expect(paths, `export target ${target}`).toContain(target.replace(/^\.\//, ""));
    }
    expect(packed.size).toBeLessThan(MAX_TARBALL_BYTES);
  });
});

/** The assertions that the example got the tarball, not the workspace. */
function itInstalledTheTarball(dir: () => string): void {
  it("installs lease-cache from the tarball: a real directory with dist/ and no src/", async () => {
    const installed = join(dir(), "node_modules/lease-cache");
    const entry = await lstat(installed);
    expect(entry.isDirectory() && !entry.isSymbolicLink()).toBe(true);
    expect((await stat(join(installed, "dist/index.js"))).isFile()).toBe(true);
    await expect(stat(join(installed, "src"))).rejects.toMatchObject({ code: "ENOENT" });
    const locked = await lockedLeaseCache(dir());
    expect(locked?.link).toBeUndefined();
    expect(locked?.resolved).toBe(`file:../${basename(packed.tarball)}`);
    expect(locked?.integrity).toBe(packed.integrity);
  });

  it("typechecks against the published declarations", () => {
    const ran = typechecks.get(dir());
    expect(ran?.code, `${ran?.stdout}${ran?.stderr}`).toBe(0);
  });
}

describe("examples/node-ioredis, installed from the tarball", () => {
  const prefix = `test:example-node:${runId}`;
  let server: NodeServer | undefined;

  beforeAll(async () => {
    server = await startNodeExample(nodeDir, { REDIS_URL: redisUrl, KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    server?.stop();
    await deleteKeys(prefix);
  });

  itInstalledTheTarball(() => nodeDir);

  it("the published declarations compile on their own, with skipLibCheck off", () => {
    expect(publishedDeclarations.code, publishedDeclarations.stdout).toBe(0);
  });

  const call: Call = async (path, init) => {
    if (server === undefined) {
      throw new Error("the example server did not start");
    }
    return toExchange(await fetch(new URL(path, server.url), init));
  };
  registerApiScenario(() => call);
});

describe("examples/hono-worker-upstash, installed from the tarball, in workerd", () => {
  const prefix = `test:example-worker:${runId}`;
  let mf: Miniflare | undefined;

  beforeAll(async () => {
    const wrangler = await readFile(join(workerDir, "wrangler.toml"), "utf8");
    const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wrangler)?.[1];
    const { upstashUrl, upstashToken } = inject("stack");
    mf = new Miniflare({
      // The Request.cf download would fail offline and is irrelevant here.
      cf: false,
      modules: true,
      scriptPath: join(workerDir, "dist/worker.mjs"),
      modulesRoot: join(workerDir, "dist"),
      compatibilityDate,
      bindings: {
        UPSTASH_REDIS_REST_URL: upstashUrl,
        UPSTASH_REDIS_REST_TOKEN: upstashToken,
        KEY_PREFIX: prefix,
      },
    });
    await mf.ready;
  });
  afterAll(async () => {
    await mf?.dispose();
    await deleteKeys(prefix);
  });

  itInstalledTheTarball(() => workerDir);

  const call: Call = async (path, init) => {
    if (mf === undefined) {
      throw new Error("the example Worker did not start");
    }
    return toExchange(await mf.dispatchFetch(new URL(path, "http://127.0.0.1"), init));
  };
  registerApiScenario(() => call);
});
