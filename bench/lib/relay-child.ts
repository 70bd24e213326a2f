/**
 * Child-process entry that runs the Redis latency relay (`latency-relay.ts`) on its own event loop,
 * like the other servers of the bench stack.
 *
 * Protocol (IPC): env `BENCH_RELAY_UPSTREAM` in; `{ type: "ready", url }` out; `{ type: "latency",
 * latencyMs, jitterMs }` in (answered with `{ type: "latency-set" }`); `"close"` (or the parent
 * going away) stops it.
 */
import { startLatencyRelay } from "./latency-relay";

/** Messages the child understands. */
export type RelayCommand = { type: "latency"; latencyMs: number; jitterMs: number } | "close";

/** Messages the child sends. */
export type RelayReport = { type: "ready"; url: string } | { type: "latency-set" };

async function main(): Promise<void> {
  const relay = await startLatencyRelay(
    process.env.BENCH_RELAY_UPSTREAM ?? "redis://127.0.0.1:6379",
  );
  const send = (report: RelayReport) => process.send?.(report);
  const stop = async () => {
    await relay.close();
    process.exit(0);
  };
  process.on("message", (message: RelayCommand) => {
    if (message === "close") {
      void stop();
      return;
    }
    relay.setLatency({ latencyMs: message.latencyMs, jitterMs: message.jitterMs });
    send({ type: "latency-set" });
  });
  process.on("disconnect", () => void stop());
  send({ type: "ready", url: relay.url });
}

main().catch((err: unknown) => {
  process.stderr.write(`relay failed: ${String(err)}\n`);
  process.exit(1);
});
