/**
 * Upstash key locking over stock Redis.
 *
 * Upstash runs a Lua script without its global lock when the script starts with
 * `#!lua flags=allow-key-locking`; stock Redis 7 rejects that flag ("Unexpected flag in script
 * shebang"). The flag is therefore removed before the script reaches Redis. Because clients pin the
 * SHA-1 of the ORIGINAL text (`@upstash/ratelimit` calls `EVALSHA <pinned sha>` first), the
 * registry remembers original SHA-1 → forwarded SHA-1 and translates `EVALSHA` / `SCRIPT EXISTS`;
 * `SCRIPT LOAD` answers with the original SHA-1, as Upstash would.
 * @module
 */
import { createHash } from "node:crypto";

const UPSTASH_ONLY_FLAG = "allow-key-locking";

/** SHA-1 of the script's UTF-8 bytes, lower-case hex (what Redis and `@upstash/redis` compute). */
export function scriptSha1(script: string): string {
  return createHash("sha1").update(script, "utf8").digest("hex");
}

/**
 * Removes `allow-key-locking` from a leading `#!lua` shebang. When no other flag or option is left
 * the whole shebang goes, but its line break stays so Lua error line numbers do not shift; that
 * also keeps legacy (shebang-less) semantics, under which `EVAL_RO` of the script is allowed.
 * Returns the script unchanged when it carries no such flag.
 */
export function stripKeyLockingFlag(script: string): string {
  if (!script.startsWith("#!lua")) {
    return script;
  }
  const lineEnd = script.indexOf("\n");
  const firstLine = lineEnd === -1 ? script : script.slice(0, lineEnd);
  const rest = lineEnd === -1 ? "" : script.slice(lineEnd);
  const [engine, ...options] = firstLine.trimEnd().split(/[ \t]+/);
  let changed = false;
  const kept: string[] = [];
  for (const option of options) {
    if (!option.startsWith("flags=")) {
      kept.push(option);
      continue;
    }
    const flags = option.slice("flags=".length).split(",");
    const remaining = flags.filter((flag) => flag !== UPSTASH_ONLY_FLAG);
    changed ||= remaining.length !== flags.length;
    if (remaining.length > 0) {
      kept.push(`flags=${remaining.join(",")}`);
    }
  }
  if (!changed) {
    return script;
  }
  return kept.length === 0 ? rest : `${[engine, ...kept].join(" ")}${rest}`;
}

/** Script texts remembered for reloading into a replica (oldest forgotten first). */
const MAX_REMEMBERED_TEXTS = 1000;

/**
 * Remembers which SHA-1s were rewritten, and the texts of recent scripts (so that a replica, whose
 * script cache Redis does not replicate, can be given a script the primary knows). One per
 * server; the rewrite map grows with distinct rewritten scripts.
 */
export class ScriptRegistry {
  readonly #forwardedShaOf = new Map<string, string>();
  readonly #textOf = new Map<string, string>();

  /**
   * Returns the text to send to Redis for `script` and, when it had to be rewritten, records the
   * mapping. `originalSha` is set only for rewritten scripts.
   */
  prepare(script: string): { forwarded: string; originalSha?: string } {
    const forwarded = stripKeyLockingFlag(script);
    this.#remember(forwarded);
    if (forwarded === script) {
      return { forwarded };
    }
    const originalSha = scriptSha1(script);
    this.#forwardedShaOf.set(originalSha, scriptSha1(forwarded));
    return { forwarded, originalSha };
  }

  /** The SHA-1 to send to Redis for a client-side SHA-1 (unchanged when unknown). */
  translate(sha: string): string {
    return this.#forwardedShaOf.get(sha.toLowerCase()) ?? sha;
  }

  /** The text Redis knows as `forwardedSha`, when this server has seen it recently. */
  textFor(forwardedSha: string): string | undefined {
    return this.#textOf.get(forwardedSha.toLowerCase());
  }

  #remember(forwarded: string): void {
    const sha = scriptSha1(forwarded);
    this.#textOf.delete(sha); // re-inserted last: the map's order is the forgetting order
    this.#textOf.set(sha, forwarded);
    if (this.#textOf.size > MAX_REMEMBERED_TEXTS) {
      const oldest = this.#textOf.keys().next().value;
      if (oldest !== undefined) {
        this.#textOf.delete(oldest);
      }
    }
  }
}
