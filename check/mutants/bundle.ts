/**
 * Builds the Worker bundle, optionally with a mutant's patches, in memory. Same esbuild options as
 * the test harness (`test/support/bundle-worker.ts`) and wrangler: ESM, browser platform with the
 * workerd conditions, Node built-ins left to `nodejs_compat`.
 */
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { patchPlugin, type TextPatch } from "./patch-plugin";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * The Worker (`src/index.ts`) as one ES module's source text, with `patches` applied.
 * @param patches @default [] (the real code)
 */
export async function bundleWorkerSource(patches: readonly TextPatch[] = []): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, "src/index.ts")],
    write: false,
    outfile: "worker.mjs",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2023",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: NODE_BUILTINS,
    logLevel: "silent",
    plugins: patches.length === 0 ? [] : [patchPlugin(ROOT, patches)],
  });
  const file = result.outputFiles[0];
  if (file === undefined) {
    throw new Error("esbuild produced no output");
  }
  return file.text;
}
