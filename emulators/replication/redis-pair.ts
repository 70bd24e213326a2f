/**
 * A Redis primary and a real replica of it (`--replicaof`), with a {@link startLagRelay} lag relay
 * on the replication link: the replica connects to the relay, the relay to the primary, and every
 * write reaches the replica `lagMs` later. Each pair is private (own processes, own temporary
 * directories, free loopback ports), so tests never share replication state with anyone.
 * @module
 */
import { startRedisServer } from "../redis-server";
import { type ReplicationState, readReplicationState } from "../shared/redis-replication";
import { parseRedisUrl, RespClient } from "../upstash-rest/resp-client";
import { type LagRelay, startLagRelay } from "./lag-relay";

/** Options of {@link startRedisPair}. */
export type RedisPairOptions = {
  /** Replication lag to start with, in ms (switch it later with `setLag`). @default 0 */
  lagMs?: number;
  /**
   * Replicate this running Redis (`redis://[:password@]host:port`) instead of starting a private
   * primary. Its `repl-diskless-sync-delay` (5 s by default) then delays the first sync.
   * @default a private primary
   */
  primaryUrl?: string;
  /** How long to wait for each server and for the first sync, in ms. @default 15000 */
  startTimeoutMs?: number;
};

/** Where each side is in the replication stream. */
export type RedisOffsets = { primary: number; replica: number };

/** A running pair. */
export type RedisPair = {
  /** The primary: writes go here (`redis://127.0.0.1:PORT`). */
  primaryUrl: string;
  /** The read-only replica (`redis://127.0.0.1:PORT`). */
  replicaUrl: string;
  /** The lag in force, in ms. */
  readonly lagMs: number;
  /**
   * Switches the replication lag while running; bytes already on their way keep their order and
   * get the new lag counted from their arrival.
   */
  setLag(ms: number): void;
  /** Both sides' replication offsets, read now. */
  offsets(): Promise<RedisOffsets>;
  /**
   * Resolves once the replica has applied everything the primary had produced when it was
   * called. @throws Error after `timeoutMs` (@default 10000)
   */
  waitForCatchUp(timeoutMs?: number): Promise<void>;
  /** The relay on the replication link (byte counts, connection count). */
  relay: LagRelay;
  /** Stops the replica, the relay and (when private) the primary; removes their directories. */
  close(): Promise<void>;
};

const POLL_MS = 5;

/**
 * Starts a primary (unless `primaryUrl` is given), the relay, and a replica through the relay;
 * resolves once the replica's first sync is done and the requested lag is in force.
 */
export async function startRedisPair(opts: RedisPairOptions = {}): Promise<RedisPair> {
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of closers.splice(0).reverse()) {
      await stop().catch(() => undefined);
    }
  };
  try {
    let primaryUrl = opts.primaryUrl;
    if (primaryUrl === undefined) {
      // Diskless sync without its 5 s grace period: the first sync takes milliseconds.
      const primary = await startRedisServer({
        startTimeoutMs: timeoutMs,
        args: ["--repl-diskless-sync-delay", "0"],
      });
      closers.push(() => primary.close());
      primaryUrl = primary.url;
    }
    const endpoint = parseRedisUrl(primaryUrl);
    // The first sync runs without lag so that start-up does not pay it.
    const relay = await startLagRelay({ target: { host: endpoint.host, port: endpoint.port } });
    closers.push(() => relay.close());
    const auth = endpoint.password === undefined ? [] : ["--masterauth", endpoint.password];
    const user = endpoint.username === undefined ? [] : ["--masteruser", endpoint.username];
    const replica = await startRedisServer({
      startTimeoutMs: timeoutMs,
      args: ["--replicaof", "127.0.0.1", String(relay.port), ...auth, ...user],
    });
    closers.push(() => replica.close());
    const replicaUrl = `${replica.url}/${endpoint.db ?? 0}`;
    const primaryClient = new RespClient(primaryUrl, { poolSize: 1 });
    const replicaClient = new RespClient(replicaUrl, { poolSize: 1 });
    closers.push(async () => {
      await Promise.all([primaryClient.close(), replicaClient.close()]);
    });
    const offsets = async (): Promise<RedisOffsets> => {
      const [p, r] = await Promise.all([
        readReplicationState(primaryClient),
        readReplicationState(replicaClient),
      ]);
      return { primary: p.offset, replica: r.offset };
    };
    const waitForCatchUp = async (waitMs = 10_000) => {
      const target = (await readReplicationState(primaryClient)).offset;
      await pollReplica(replicaClient, waitMs, (state) => state.linkUp && state.offset >= target);
    };
    await pollReplica(replicaClient, timeoutMs, (state) => state.linkUp && state.offset >= 0);
    relay.setLag(opts.lagMs ?? 0);
    return {
      primaryUrl,
      replicaUrl,
      get lagMs() {
        return relay.lagMs;
      },
      setLag: (ms) => relay.setLag(ms),
      offsets,
      waitForCatchUp,
      relay,
      close,
    };
  } catch (error: unknown) {
    await close();
    throw error;
  }
}

async function pollReplica(
  client: RespClient,
  timeoutMs: number,
  done: (state: ReplicationState) => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ReplicationState | undefined;
  while (Date.now() < deadline) {
    last = await readReplicationState(client);
    if (done(last)) {
      return;
    }
    // Redis has no notification for replication progress; INFO is cheap.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(
    `Redis replica not caught up within ${timeoutMs} ms (link ${last?.linkUp ? "up" : "down"}, offset ${last?.offset ?? "?"})`,
  );
}
