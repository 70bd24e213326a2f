import type { RedisPort } from "./redis-port.js";
import type { LuaScript } from "./scripts.js";

/** Counts Redis round trips so the outcome report can state them. */
export type CallCounter = { calls: number };

/**
 * Runs `script` in the port's dialect with EVALSHA (EVALSHA_RO for a read-only script when the
 * port can) and, if Redis does not know it (NOSCRIPT, e.g. after a restart or a SCRIPT FLUSH),
 * once more with EVAL, which also loads it for the next call. Every round trip is counted in
 * `counter`; `signal` (aborted when the caller gave up) goes to each of them.
 */
export async function runScript(
  redis: RedisPort,
  script: LuaScript,
  keys: string[],
  args: string[],
  counter: CallCounter,
  signal?: AbortSignal,
): Promise<unknown> {
  const text = redis.dialect === "upstash" ? script.upstash : script.redis;
  const readOnly = script.readOnly && redis.evalshaRo !== undefined && redis.evalRo !== undefined;
  counter.calls += 1;
  try {
    return await (readOnly && redis.evalshaRo
      ? redis.evalshaRo(text.sha1, keys, args, signal)
      : redis.evalsha(text.sha1, keys, args, signal));
  } catch (err: unknown) {
    if (!isNoScript(err)) {
      throw err;
    }
  }
  counter.calls += 1;
  return await (readOnly && redis.evalRo
    ? redis.evalRo(text.source, keys, args, signal)
    : redis.eval(text.source, keys, args, signal));
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.toLowerCase().includes("noscript");
}
