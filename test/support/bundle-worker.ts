/**
 * Bundles the Worker once per test run, the way wrangler does for workerd: ESM, browser platform
 * with the `workerd`/`worker` export conditions, Node built-ins left to `nodejs_compat`.
 */
import { builtinModules } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

/** Node built-in specifiers, bare and `node:`-prefixed; workerd provides them under nodejs_compat. */
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Bundles `entry` into `outDir/worker.mjs` (with a linked source map) and returns that path.
 * @param entry the Worker's entry module, e.g. `src/index.ts`
 */
export async function bundleWorker(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, "worker.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2023",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: NODE_BUILTINS,
    sourcemap: "linked",
    logLevel: "silent",
  });
  return outfile;
}
