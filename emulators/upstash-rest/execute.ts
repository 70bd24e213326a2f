/**
 * Runs planned commands against Redis and turns the replies into REST entries.
 * Connection failures propagate as `RedisConnectionError`; Redis error replies become `{error}`.
 * @module
 */
import type { PlannedCommand } from "./commands";
import { type RestEntry, toRestEntry } from "./encode";
import type { RespClient, RespReply } from "./resp-client";

/** Runs one command. */
export async function runSingle(
  client: RespClient,
  plan: PlannedCommand,
  base64: boolean,
): Promise<RestEntry> {
  const [entry] = await runPipeline(client, [plan], base64);
  return entry ?? { error: "ERR no reply" };
}

/**
 * Runs commands in order on one shared connection (pipelined, not atomic). Entries that were
 * refused during planning answer their error without reaching Redis; the others still run.
 */
export async function runPipeline(
  client: RespClient,
  plans: readonly PlannedCommand[],
  base64: boolean,
): Promise<RestEntry[]> {
  const runnable = plans.flatMap((plan) => ("args" in plan ? [plan.args] : []));
  const replies = await client.sendMany(runnable);
  let next = 0;
  return plans.map((plan) => {
    if (!("args" in plan)) {
      return { error: plan.error };
    }
    const reply = replies[next] ?? { kind: "error", message: "ERR no reply" };
    next += 1;
    return entryFor(plan, reply, base64);
  });
}

/** The outcome of `/multi-exec`: per-command entries, or the whole transaction was discarded. */
export type TransactionOutcome = { entries: RestEntry[] } | { aborted: string };

/**
 * Sends `MULTI`, the commands and `EXEC` in one write on a connection nobody else uses meanwhile.
 * A queue-time error (unknown command, wrong arity) makes Redis discard the transaction
 * (`EXECABORT …`); a runtime error (e.g. `WRONGTYPE`) is that command's entry while the others
 * still apply, exactly as in Redis. A command refused during planning aborts the whole transaction
 * before anything is sent.
 */
export async function runTransaction(
  client: RespClient,
  plans: readonly PlannedCommand[],
  base64: boolean,
): Promise<TransactionOutcome> {
  const refused = plans.find((plan) => !("args" in plan));
  if (refused !== undefined && "error" in refused) {
    return { aborted: refused.error };
  }
  const runnable = plans.flatMap((plan) => ("args" in plan ? [plan] : []));
  const replies = await client.withDedicated((connection) =>
    connection.sendMany([["MULTI"], ...runnable.map((plan) => plan.args), ["EXEC"]]),
  );
  const execReply = replies.at(-1);
  if (execReply === undefined || execReply.kind === "error") {
    return { aborted: execReply?.message ?? "ERR no reply to EXEC" };
  }
  if (execReply.kind !== "array") {
    // Nil would mean a WATCH fired, which cannot happen because WATCH is refused.
    return { aborted: `ERR unexpected EXEC reply (${execReply.kind})` };
  }
  return {
    entries: runnable.map((plan, index) =>
      entryFor(plan, execReply.items[index] ?? { kind: "error", message: "ERR no reply" }, base64),
    ),
  };
}

function entryFor(plan: PlannedCommand, reply: RespReply, base64: boolean): RestEntry {
  const adjusted = "adjustReply" in plan && plan.adjustReply ? plan.adjustReply(reply) : reply;
  return toRestEntry(adjusted, base64);
}
