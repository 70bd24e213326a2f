/**
 * Patches for a Lua script of `src/cache/scripts.ts`: the script's source text and its pinned
 * SHA-1, which must change with it — otherwise EVALSHA would keep running the real script Redis
 * already has cached under the old digest.
 */
import { createHash } from "node:crypto";
import type { LuaScript } from "../../src/cache/scripts";
import { applyPatches, type TextPatch } from "./patch-plugin";

const SCRIPTS_FILE = "src/cache/scripts.ts";

/**
 * The two text patches that turn `script` into its mutant: `find` → `replace` inside its source
 * (which must occur once in the source and once in the file), and its `sha1` → the digest of the
 * patched source.
 */
export function luaPatches(script: LuaScript, find: string, replace: string): TextPatch[] {
  const patched = applyPatches(`${script.name} script`, script.source, [
    { file: SCRIPTS_FILE, find, replace },
  ]);
  return [
    { file: SCRIPTS_FILE, find, replace },
    { file: SCRIPTS_FILE, find: `sha1: "${script.sha1}"`, replace: `sha1: "${sha1(patched)}"` },
  ];
}

/** Hex SHA-1 of `text`, the digest Redis gives a script. */
export function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
