/**
 * Bundles a Worker the way wrangler does for workerd: ESM, browser platform with the
 * `workerd`/`worker` export conditions, Node built-ins left to `nodejs_compat`. The test run, the
 * bench and the checker's mutants all build with these options.
 */
import { builtinModules } from "node:module";
import { join } from "node:path";
import { type BuildOptions, build } from "esbuild";

/** Node built-in specifiers, bare and `node:`-prefixed; workerd provides them under nodejs_compat. */
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** esbuild options for a Worker bundle as wrangler makes it (entry and output are the caller's). */
export const WORKER_BUILD_OPTIONS: Readonly<BuildOptions> = Object.freeze({
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2023",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: NODE_BUILTINS,
  logLevel: "silent",
});

/**
 * Bundles `entry` into `outDir/worker.mjs` (with a linked source map) and returns that path.
 * @param entry the Worker's entry module, e.g. `src/index.ts`
 */
export async function bundleWorker(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, "worker.mjs");
  await build({ ...WORKER_BUILD_OPTIONS, entryPoints: [entry], outfile, sourcemap: "linked" });
  return outfile;
}
