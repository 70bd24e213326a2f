/**
 * Patches for a Lua script of the cache: the change at a mutation point inside the script's body,
 * and its pinned SHA-1s (both dialects), which must change with it — otherwise EVALSHA would keep
 * running the real script Redis already has cached under the old digest.
 */
import { createHash } from "node:crypto";
import type { LuaScript } from "lease-cache/testing";
import { applyPatch, type Patch, type PointPatch } from "./patch-plugin";

/** The patches that turn `script` into its mutant: the `changes` and the re-pinned digests. */
export function luaPatches(script: LuaScript, changes: readonly PointPatch[]): Patch[] {
  return [
    ...changes,
    ...[script.redis, script.upstash].map((text) => ({
      find: `"${text.sha1}"`,
      replace: `"${sha1(changes.reduce((source, change) => applyPatch(source, change), text.source))}"`,
    })),
  ];
}

/** Hex SHA-1 of `text`, the digest Redis gives a script. */
export function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}
