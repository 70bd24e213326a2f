/**
 * Child-process entry for the simulated topology (issue 11): a Redis primary + replica and a
 * Postgres primary + hot standby with the local stack over them (`startReplicatedStack`: the Upstash
 * server's read region on the replica, `DATABASE_REPLICA_URL` the standby), the Upstash server's
 * route delays (primary far, read region near) and the Neon route proxy (`neon-route-proxy.ts`).
 *
 * Protocol (IPC): env `BENCH_TOPOLOGY` (JSON of {@link TopologyDelays}) and `BENCH_KEY_PREFIX` in;
 * one {@link TopologyReady} out; `{ type: "lag", ms }` in (both replicas; answered with
 * `{ type: "lag-set" }`); `"close"` (or the parent going away) stops everything.
 */

import { startReplicatedStack } from "../../emulators/replication";
import { readWranglerConfig } from "../../harness/wrangler-config";
import { startNeonRouteProxy } from "./neon-route-proxy";

/** The simulated distances, in ms. */
export type TopologyDelays = { primaryMs: number; replicaMs: number };

/** What the child reports once everything runs. */
export type TopologyReady = {
  type: "ready";
  /** Worker bindings (wrangler.toml vars + the stack's, the replica included). */
  bindings: Record<string, string>;
  upstash: { url: string; token: string };
  redisPrimaryUrl: string;
  databaseUrl: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
};

/** Messages the child sends besides `ready`. */
export type TopologyReport =
  | TopologyReady
  | { type: "lag-set" }
  | { type: "error"; message: string };

/** Messages the child understands. */
export type TopologyCommand = { type: "lag"; ms: number } | "close";

async function main(): Promise<void> {
  const delays = JSON.parse(process.env.BENCH_TOPOLOGY ?? "{}") as TopologyDelays;
  const closers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch(() => {});
    }
    process.exit(0);
  };
  process.on("disconnect", () => void stop());
  const send = (report: TopologyReport) => process.send?.(report);
  const prefix = process.env.BENCH_KEY_PREFIX;
  const { redis, postgres, local, close } = await startReplicatedStack(
    prefix === undefined ? {} : { cacheKeyPrefix: prefix },
  );
  closers.push(close);
  local.upstash.setRouteDelay({ primaryMs: delays.primaryMs, replicaMs: delays.replicaMs });
  const proxy = await startNeonRouteProxy(
    local.neon.hostPort,
    new URL(postgres.replicaUrl).host,
    delays,
  );
  closers.push(() => proxy.close());
  process.on("message", (message: TopologyCommand) => {
    if (message === "close") {
      void stop();
      return;
    }
    redis.setLag(message.ms);
    void postgres.setLag(message.ms).then(() => send({ type: "lag-set" }));
  });
  const wrangler = await readWranglerConfig();
  send({
    type: "ready",
    bindings: { ...wrangler.vars, ...local.bindings, NEON_LOCAL_PROXY: proxy.hostPort },
    upstash: { url: local.upstash.url, token: local.upstash.token },
    redisPrimaryUrl: redis.primaryUrl,
    databaseUrl: postgres.primaryUrl,
    compatibilityDate: wrangler.compatibilityDate,
    compatibilityFlags: wrangler.compatibilityFlags,
  });
}

main().catch((err: unknown) => {
  process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
