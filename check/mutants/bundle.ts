/**
 * Builds the Worker bundle, optionally with a mutant's patches, in memory, with the test harness's
 * esbuild options (`WORKER_BUILD_OPTIONS`: as wrangler bundles for workerd).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { WORKER_BUILD_OPTIONS } from "../../harness/bundle-worker";
import { type Patch, patchPlugin } from "./patch-plugin";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The Worker (`src/index.ts`) as one ES module's source text, with `patches` applied.
 * @param patches @default [] (the real code)
 */
export async function bundleWorkerSource(patches: readonly Patch[] = []): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    entryPoints: [join(ROOT, "src/index.ts")],
    write: false,
    outfile: "worker.mjs",
    plugins: patches.length === 0 ? [] : [patchPlugin(patches)],
  });
  const file = result.outputFiles[0];
  if (file === undefined) {
    throw new Error("esbuild produced no output");
  }
  return file.text;
}
