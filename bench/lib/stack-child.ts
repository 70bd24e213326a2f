/**
 * Child-process entry that runs the local stack (Upstash REST and Neon servers) for the bench, so the
 * servers get their own event loop instead of sharing one with the load generator (which parses
 * hundreds of responses at once in the stampede and would otherwise delay every Redis and Postgres
 * round trip it is measuring).
 *
 * Protocol (IPC): env `BENCH_REDIS_URL`, `BENCH_DATABASE_URL`, `BENCH_KEY_PREFIX` in; one
 * {@link StackReady} message out; the message `"close"` (or the parent going away) stops everything.
 */
import { type LocalStack, startLocalStack } from "../../emulators/stack";

/** What the child reports once the stack runs. */
export type StackReady = {
  type: "ready";
  bindings: Record<string, string>;
  upstash: { url: string; token: string };
  neonUrl: string;
};

async function main(): Promise<void> {
  const send = (message: unknown) => process.send?.(message);
  let stack: LocalStack | undefined;
  const stop = async () => {
    await stack?.close();
    stack = undefined;
    process.exit(0);
  };
  process.on("message", (message) => {
    if (message === "close") {
      void stop();
    }
  });
  process.on("disconnect", () => void stop());
  stack = await startLocalStack({
    redisUrl: process.env.BENCH_REDIS_URL,
    databaseUrl: process.env.BENCH_DATABASE_URL,
    cacheKeyPrefix: process.env.BENCH_KEY_PREFIX,
  });
  const ready: StackReady = {
    type: "ready",
    bindings: stack.bindings,
    upstash: { url: stack.upstash.url, token: stack.upstash.token },
    neonUrl: stack.neon.url,
  };
  send(ready);
}

main().catch((err: unknown) => {
  process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
