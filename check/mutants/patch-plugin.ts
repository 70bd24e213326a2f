/**
 * An esbuild plugin that turns the real code into a mutant at bundle time. Patches name
 * **mutation points**, comments of the form `@mutation-point <name>` that the code carries exactly
 * where a mutant changes it (in TypeScript `// @mutation-point x`, in Lua `-- @mutation-point x`),
 * so renaming or rewording code around a point does not break a mutant, and moving the point is a
 * visible edit. A patch either inserts lines after the point or replaces the line that follows
 * it. The only other patch is a pinned value (a script's SHA-1), matched by exact text.
 *
 * Every patch must apply exactly once across the files the bundle loads; otherwise the build
 * fails, so a mutant can never silently become the real code.
 */
import { readFile } from "node:fs/promises";
import type { Plugin } from "esbuild";

/** Changes code at a mutation point. */
export type PointPatch = {
  /** The point's name, as in `@mutation-point <name>`. */
  point: string;
  /** Lines inserted right after the point's line. */
  insert?: string;
  /** Replaces the line right after the point's line. */
  replaceNextLine?: string;
};

/** Replaces an exact text that occurs once (only for pinned values such as a script's SHA-1). */
export type PinPatch = { find: string; replace: string };

/** One patch of a mutant. */
export type Patch = PointPatch | PinPatch;

/** Thrown when a patch does not apply; the message names the point or the text. */
export class PatchError extends Error {
  override name = "PatchError";
}

/** The text that marks a mutation point. */
export function pointMarker(point: string): string {
  return `@mutation-point ${point}`;
}

/** Describes a patch for error messages. */
function describe(patch: Patch): string {
  return "point" in patch
    ? `mutation point ${patch.point}`
    : `pinned text ${JSON.stringify(patch.find)}`;
}

/** How often `patch` applies to `text` (0, 1, or more: only 1 is valid across a bundle). */
export function occurrences(text: string, patch: Patch): number {
  const needle = "point" in patch ? pointMarker(patch.point) : patch.find;
  // A point's name must end at the end of the marker (`a.b` is not `a.bc`).
  const pattern = new RegExp(
    `${escapeRegExp(needle)}${"point" in patch ? "(?![\\w.-])" : ""}`,
    "g",
  );
  return [...text.matchAll(pattern)].length;
}

/** Applies `patch` to `text`, in which it occurs exactly once. */
export function applyPatch(text: string, patch: Patch): string {
  const count = occurrences(text, patch);
  if (count !== 1) {
    throw new PatchError(`${describe(patch)} ${count === 0 ? "not found" : "is ambiguous"}`);
  }
  if (!("point" in patch)) {
    return text.replace(patch.find, () => patch.replace);
  }
  const at = text.search(new RegExp(`${escapeRegExp(pointMarker(patch.point))}(?![\\w.-])`));
  const pointLineEnd = text.indexOf("\n", at) + 1;
  if (pointLineEnd === 0) {
    throw new PatchError(`${describe(patch)} is on the last line`);
  }
  let out = text;
  if (patch.replaceNextLine !== undefined) {
    const nextLineEnd = text.indexOf("\n", pointLineEnd);
    out = `${out.slice(0, pointLineEnd)}${patch.replaceNextLine}\n${out.slice(nextLineEnd + 1)}`;
  }
  if (patch.insert !== undefined) {
    out = `${out.slice(0, pointLineEnd)}${patch.insert}\n${out.slice(pointLineEnd)}`;
  }
  return out;
}

/** The plugin: applies `patches` to the project's TypeScript files as the bundle loads them. */
export function patchPlugin(patches: readonly Patch[]): Plugin {
  return {
    name: "mutant-patches",
    setup(build) {
      const applied = new Map<Patch, string[]>();
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes("/node_modules/")) {
          return undefined;
        }
        const text = await readFile(args.path, "utf8");
        let out = text;
        for (const patch of patches) {
          const count = occurrences(out, patch);
          if (count > 0) {
            applied.set(patch, [...(applied.get(patch) ?? []), `${args.path} (${count}×)`]);
          }
          if (count === 1) {
            out = applyPatch(out, patch);
          }
        }
        return out === text ? undefined : { contents: out, loader: "ts" };
      });
      build.onEnd((result) => {
        if (result.errors.length > 0) {
          return;
        }
        for (const patch of patches) {
          const where = applied.get(patch) ?? [];
          if (where.length !== 1 || !where[0]?.endsWith("(1×)")) {
            throw new PatchError(
              `${describe(patch)} must occur once in the bundle's sources; found ${
                where.length === 0 ? "nowhere" : where.join(", ")
              }`,
            );
          }
        }
      });
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
