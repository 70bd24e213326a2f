import type { RedisPort } from "./redis-port.js";
import type { LuaScript } from "./scripts.js";

/** Counts Redis round trips so the outcome report can state them. */
export type CallCounter = { calls: number };

/**
 * Runs `script` with EVALSHA and, if Redis does not know it (NOSCRIPT, e.g. after a restart or a
 * SCRIPT FLUSH), once more with EVAL, which also loads it for the next call. Every round trip is
 * counted in `counter`.
 */
export async function runScript(
  redis: RedisPort,
  script: LuaScript,
  keys: string[],
  args: string[],
  counter: CallCounter,
): Promise<unknown> {
  counter.calls += 1;
  try {
    return await redis.evalsha(script.sha1, keys, args);
  } catch (err: unknown) {
    if (!isNoScript(err)) {
      throw err;
    }
  }
  counter.calls += 1;
  return await redis.eval(script.source, keys, args);
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.toLowerCase().includes("noscript");
}
