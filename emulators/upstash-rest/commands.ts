/**
 * Turns one REST command array into what is sent to Redis, or into an error answered without
 * contacting Redis (malformed command, or a command that makes no sense over stateless REST).
 * @module
 */
import { InvalidCommandError, toRedisArguments } from "./encode";
import type { RespReply } from "./resp-parser";
import type { ScriptRegistry } from "./scripts";

/** A command ready to run, or the error to answer instead. */
export type PlannedCommand =
  | {
      /** Upper-case command name, for fault matching and reporting. */
      name: string;
      /** Arguments exactly as sent to Redis (after script rewriting). */
      args: string[];
      /** Adjusts Redis's reply before it is encoded (used by `SCRIPT LOAD`). */
      adjustReply?: (reply: RespReply) => RespReply;
    }
  | { name: string; error: string };

/**
 * Commands refused over REST: they block a pooled connection (`BLPOP`…), change or depend on
 * per-connection state that a stateless request cannot keep (`SELECT`, `WATCH`, `CLIENT`…), turn the
 * connection into a push stream (`SUBSCRIBE`, `MONITOR`), or break the transaction framing of
 * `/multi-exec` (`MULTI`, `EXEC`, `DISCARD`). `SHUTDOWN`-style admin commands would take the shared
 * Redis away from every other user.
 */
const REFUSED = new Set([
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SUNSUBSCRIBE",
  "MONITOR",
  "SELECT",
  "SWAPDB",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "AUTH",
  "HELLO",
  "RESET",
  "QUIT",
  "CLIENT",
  "READONLY",
  "READWRITE",
  "BLPOP",
  "BRPOP",
  "BRPOPLPUSH",
  "BLMOVE",
  "BLMPOP",
  "BZPOPMIN",
  "BZPOPMAX",
  "BZMPOP",
  "WAIT",
  "WAITAOF",
  "SYNC",
  "PSYNC",
  "REPLICAOF",
  "SLAVEOF",
  "FAILOVER",
  "SHUTDOWN",
  "DEBUG",
]);

/** `XREAD`/`XREADGROUP` block only with a `BLOCK` option; without it they are ordinary reads. */
const BLOCK_OPTION_COMMANDS = new Set(["XREAD", "XREADGROUP"]);

/** The upper-case command name of a raw body element, or `""` when there is none. */
export function commandNameOf(body: unknown): string {
  const first: unknown = Array.isArray(body) ? body[0] : undefined;
  return typeof first === "string" ? first.toUpperCase() : "";
}

/** Validates and rewrites one command (see {@link PlannedCommand}). Never throws. */
export function planCommand(body: unknown, scripts: ScriptRegistry): PlannedCommand {
  const name = commandNameOf(body);
  let args: string[];
  try {
    args = toRedisArguments(body);
  } catch (error: unknown) {
    if (error instanceof InvalidCommandError) {
      return { name, error: error.message };
    }
    throw error;
  }
  const refused =
    REFUSED.has(name) ||
    (BLOCK_OPTION_COMMANDS.has(name) && args.some((arg) => arg.toUpperCase() === "BLOCK"));
  if (refused) {
    return {
      name,
      error: `ERR '${args[0]}' is not supported over REST: it blocks or depends on connection state`,
    };
  }
  return rewriteScripts(name, args, scripts);
}

/** Applies the key-locking shebang rewrite (see `scripts.ts`) to script commands. */
function rewriteScripts(name: string, args: string[], scripts: ScriptRegistry): PlannedCommand {
  const sub = args[1]?.toUpperCase();
  if ((name === "EVAL" || name === "EVAL_RO") && args[1] !== undefined) {
    args[1] = scripts.prepare(args[1]).forwarded;
  } else if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[1] !== undefined) {
    args[1] = scripts.translate(args[1]);
  } else if (name === "SCRIPT" && sub === "EXISTS") {
    for (let i = 2; i < args.length; i += 1) {
      args[i] = scripts.translate(args[i] ?? "");
    }
  } else if (name === "SCRIPT" && sub === "LOAD" && args[2] !== undefined) {
    const { forwarded, originalSha } = scripts.prepare(args[2]);
    args[2] = forwarded;
    if (originalSha !== undefined) {
      // Redis answers with the SHA-1 of the text it received; the client pinned the original one.
      const adjustReply = (reply: RespReply): RespReply =>
        reply.kind === "bulk" ? { kind: "bulk", value: Buffer.from(originalSha, "latin1") } : reply;
      return { name, args, adjustReply };
    }
  }
  return { name, args };
}
