/**
 * What the browser tests run against: the real Worker bundle in workerd (Miniflare) with the
 * Workers Static Assets configuration wrangler derives from wrangler.toml, over the run's stack
 * (its own database, so the product list is known), served on a loopback port; and Debian's
 * Chromium driven by playwright-core, headless, with background networking off and a fresh
 * profile. Screenshots go to `test-results/` (gitignored).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { type BrowserContext, chromium } from "playwright-core";
import { inject } from "vitest";
import { createMigratedDatabase, type TestDatabase } from "../../harness/test-database";
import { buildWeb } from "../../web/build";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where screenshots are saved. */
export const ARTIFACTS = join(ROOT, "test-results");
/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags this machine needs: no sandbox as root, and no calls to Google's services. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** A running Worker with assets. */
export type BrowserStack = {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** A request straight to the Worker (seeding, checks). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
};

/** Starts the Worker with its assets on a free loopback port. */
export async function startBrowserStack(bindings: Record<string, string>): Promise<BrowserStack> {
  const stack = inject("stack");
  const out = await mkdtemp(join(tmpdir(), "eca-web-"));
  let db: TestDatabase | undefined;
  let mf: Miniflare | undefined;
  try {
    await buildWeb(out);
    db = await createMigratedDatabase(`${stack.runId}_browser`);
    const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
    if (workerOptions.assets === undefined) {
      throw new Error("wrangler.toml has no [assets]");
    }
    mf = new Miniflare({
      cf: false,
      host: "127.0.0.1",
      port: 0,
      workers: [
        {
          name: "storefront",
          modules: true,
          scriptPath: stack.workerScriptPath,
          modulesRoot: dirname(stack.workerScriptPath),
          compatibilityDate: stack.compatibilityDate,
          compatibilityFlags: stack.compatibilityFlags,
          bindings: {
            ...stack.bindings,
            DATABASE_URL: db.url,
            CACHE_KEY_PREFIX: `${stack.cacheKeyPrefix}-browser`,
            RATE_LIMIT_WRITES: "100000",
            ABSENT_READS_PER_MINUTE: "100000",
            ...bindings,
          },
          assets: { ...workerOptions.assets, directory: out },
        },
      ],
    });
    const url = (await mf.ready).origin;
    const started = mf;
    const database = db;
    return {
      url,
      fetch: (path, init) => fetch(new URL(path, url), init),
      async close() {
        await started.dispose();
        await database.drop();
        await rm(out, { recursive: true, force: true });
      },
    };
  } catch (err: unknown) {
    await mf?.dispose();
    await db?.drop();
    await rm(out, { recursive: true, force: true });
    throw err;
  }
}

/** A headless Chromium with a fresh profile; `close` also removes the profile. */
export async function launchChromium(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  }
  const profile = await mkdtemp(join(tmpdir(), "eca-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The path of screenshot `name` (the folder is created on first use). */
export async function screenshotPath(name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}
