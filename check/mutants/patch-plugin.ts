/**
 * An esbuild plugin that patches source text at bundle time: for a named file, find an exact
 * string and replace it. A patch whose string is missing (or appears more than once) fails the
 * build, so a mutant can never silently become the real code after a refactor.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Plugin } from "esbuild";

/** One text replacement in one file. */
export type TextPatch = {
  /** Path from the repository root, e.g. `src/cache/scripts.ts`. */
  file: string;
  /** Exact text that must occur exactly once in the file. */
  find: string;
  replace: string;
};

/** Thrown when a patch does not apply; the message names the file and the missing text. */
export class PatchError extends Error {
  override name = "PatchError";
}

/** Applies `patches` (all for the same file) to `text`, failing loudly on a missing or ambiguous find. */
export function applyPatches(file: string, text: string, patches: readonly TextPatch[]): string {
  let out = text;
  for (const patch of patches) {
    const first = out.indexOf(patch.find);
    if (first < 0) {
      throw new PatchError(`mutant patch not found in ${file}: ${JSON.stringify(patch.find)}`);
    }
    if (out.indexOf(patch.find, first + 1) >= 0) {
      throw new PatchError(`mutant patch is ambiguous in ${file}: ${JSON.stringify(patch.find)}`);
    }
    out = out.slice(0, first) + patch.replace + out.slice(first + patch.find.length);
  }
  return out;
}

/**
 * The plugin. `root` is the repository root the patch paths are relative to. Every patched file
 * must be loaded by the build; one that never was fails the build too.
 */
export function patchPlugin(root: string, patches: readonly TextPatch[]): Plugin {
  const byFile = new Map<string, TextPatch[]>();
  for (const patch of patches) {
    const abs = resolve(root, patch.file);
    byFile.set(abs, [...(byFile.get(abs) ?? []), patch]);
  }
  return {
    name: "mutant-patches",
    setup(build) {
      const seen = new Set<string>();
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        const filePatches = byFile.get(args.path);
        if (filePatches === undefined) {
          return undefined;
        }
        seen.add(args.path);
        const text = await readFile(args.path, "utf8");
        return { contents: applyPatches(args.path, text, filePatches), loader: "ts" };
      });
      build.onEnd((result) => {
        const unused = [...byFile.keys()].filter((file) => !seen.has(file));
        if (result.errors.length === 0 && unused.length > 0) {
          throw new PatchError(
            `mutant patches target files the bundle never loaded: ${unused.join(", ")}`,
          );
        }
      });
    },
  };
}
