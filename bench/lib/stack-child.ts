/**
 * Child-process entry that runs the bench's stack (`harness/run-stack.ts`: a fresh database, the
 * Upstash REST and Neon servers, a random key prefix) so the servers get their own event loop
 * instead of sharing one with the load generator (which parses hundreds of responses at once in
 * the stampede and would otherwise delay every Redis and Postgres round trip it is measuring).
 *
 * Protocol (IPC): `REDIS_URL` and `TEST_DATABASE_ADMIN_URL` in (the harness reads them); one
 * {@link StackReady} message out; the message `"close"` (or the parent going away) stops
 * everything, the database and the run's keys included.
 */
import { type RunStack, type RunStackHandle, startRunStack } from "../../harness/run-stack";

/** What the child reports once the stack runs. */
export type StackReady = { type: "ready"; stack: RunStack };

/** What the child reports when the stack could not start. */
export type StackFailed = { type: "error"; message: string };

async function main(): Promise<void> {
  let run: RunStackHandle | undefined;
  const stop = async () => {
    await run?.close();
    run = undefined;
    process.exit(0);
  };
  process.on("message", (message) => {
    if (message === "close") {
      void stop();
    }
  });
  process.on("disconnect", () => void stop());
  // The bench bundles its own Worker (`bench/worker.ts`), in the parent.
  run = await startRunStack({ label: "bench", workerEntry: null });
  const ready: StackReady = { type: "ready", stack: run.stack };
  process.send?.(ready);
}

main().catch((err: unknown) => {
  const failed: StackFailed = {
    type: "error",
    message: err instanceof Error ? err.message : String(err),
  };
  process.send?.(failed);
  process.exit(1);
});
