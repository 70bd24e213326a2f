/**
 * The read path of one request that leads its batch: one `readOrLease`, then answer, load and fill
 * under the lease, wait for another holder, or bypass Redis. `cache-aside.ts` wires it; the design
 * is described in `docs/cache-design.md`.
 */

import type { DirectLoads } from "./direct-loads";
import { decodeEntry, encodeEntry } from "./envelope";
import { type RedisGuard, RedisUnavailableError } from "./failure-policy";
import { type EntryRef, lockKeyOf } from "./keys";
import { parseIntegerReply, parseReadReply, type ReadReply } from "./read-reply";
import type { CallCounter } from "./run-script";
import { DROP_AND_LEASE, FILL, READ_OR_LEASE, RELEASE, ReadCode } from "./scripts";
import type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  Loaded,
} from "./types";
import { waitSchedule } from "./wait-schedule";

/** What the read path needs; built once per request by `createCacheAside`. */
export type ReadPathDeps = {
  guard: RedisGuard;
  config: CacheConfig;
  background: BackgroundContext;
  directLoads: DirectLoads;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  newToken: () => string;
};

/** The read path bound to `deps`. */
export function createReadPath(deps: ReadPathDeps): {
  readThrough(
    entry: EntryRef,
    load: () => Promise<Loaded<unknown>>,
    done: () => void,
  ): Promise<CacheResult<unknown>>;
} {
  const { guard, config, background, directLoads, now, sleep, random, newToken } = deps;
  const lockTtlMs = config.lockTtlSeconds * 1000;

  /** Everything one request does for one entry when it leads its batch. */
  async function readThrough(
    entry: EntryRef,
    load: () => Promise<Loaded<unknown>>,
    done: () => void,
  ): Promise<CacheResult<unknown>> {
    const started = now();
    const counter: CallCounter = { calls: 0 };
    const token = newToken();
    const keys =
      entry.group === undefined
        ? [entry.key, lockKeyOf(entry.key)]
        : [entry.key, lockKeyOf(entry.key), entry.group];
    let loadMs: number | undefined;

    const outcome = (status: CacheStatus, extra: Partial<CacheOutcome> = {}): CacheOutcome => ({
      status,
      redisCalls: counter.calls,
      cacheMs: Math.max(0, now() - started - (loadMs ?? 0)),
      ...(loadMs === undefined ? {} : { loadMs }),
      ...extra,
    });
    const timedLoad = async (): Promise<Loaded<unknown>> => {
      const t = now();
      try {
        return await load();
      } finally {
        loadMs = (loadMs ?? 0) + (now() - t);
      }
    };
    const bypass = async (): Promise<CacheResult<unknown>> => {
      done();
      const loaded = await timedLoad();
      return { loaded, outcome: outcome("bypass") };
    };
    /** Loads under our lease and fills in the background. */
    const loadAndFill = async (
      reply: ReadReply,
      status: CacheStatus,
    ): Promise<CacheResult<unknown>> => {
      let loaded: Loaded<unknown>;
      try {
        loaded = await timedLoad();
      } catch (err: unknown) {
        background.waitUntil(releaseQuietly(keys, token).finally(done));
        throw err;
      }
      background.waitUntil(fill(keys, token, reply.generation, loaded).finally(done));
      return { loaded, outcome: outcome(status) };
    };
    /** Answers a stored entry; `undefined` when it does not decode. */
    const answer = (reply: ReadReply, status: CacheStatus): CacheResult<unknown> | undefined => {
      const decoded = decodeEntry(reply.raw);
      if (decoded === undefined) {
        return undefined;
      }
      if (reply.code === ReadCode.staleRefresh) {
        // Refresh in the background under the lock we just took; the caller is answered now.
        background.waitUntil(
          timedLoad()
            .then((loaded) => fill(keys, token, reply.generation, loaded))
            .catch(() => releaseQuietly(keys, token))
            .finally(done),
        );
      } else {
        done();
      }
      const isStale = reply.code === ReadCode.stale || reply.code === ReadCode.staleRefresh;
      return {
        loaded: decoded.loaded,
        outcome: outcome(isStale ? "stale" : status, {
          ageMs: Math.max(0, now() - decoded.filledAt),
        }),
      };
    };

    try {
      let reply = await guard.run(
        READ_OR_LEASE,
        keys,
        [token, String(config.lockTtlSeconds)],
        counter,
        parseReadReply,
      );
      let polled = false;
      const delays = waitSchedule({
        // Keep one call for the fill we may still have to make.
        maxPolls: Math.max(0, config.maxRedisCallsPerGet - 2),
        deadlineMs: Math.min(800, lockTtlMs / 2),
        random,
      });
      for (;;) {
        if (reply.code === ReadCode.leased) {
          return await loadAndFill(reply, "miss");
        }
        if (reply.code !== ReadCode.locked) {
          const answered = answer(reply, polled ? "waited" : "hit");
          if (answered !== undefined) {
            return answered;
          }
          // Corrupt or foreign entry: drop it (only if unchanged) and try to take its lock.
          const dropped = await guard.run(
            DROP_AND_LEASE,
            keys.slice(0, 2),
            [reply.raw, token, String(config.lockTtlSeconds)],
            counter,
            parseReadReply,
          );
          reply = { ...dropped, generation: reply.generation };
          continue;
        }
        const delay = delays.shift();
        if (delay === undefined || counter.calls + 2 > config.maxRedisCallsPerGet) {
          break;
        }
        await sleep(delay);
        polled = true;
        reply = await guard.run(
          READ_OR_LEASE,
          keys,
          [token, String(config.lockTtlSeconds)],
          counter,
          parseReadReply,
        );
      }
      // The holder is slow or gone: load directly, once per isolate and lock.
      done();
      const shared = directLoads.loadOnce(
        entry.key,
        `${reply.holder}|${reply.generation}`,
        lockTtlMs,
        timedLoad,
      );
      const loaded = await shared.promise;
      return { loaded, outcome: outcome(shared.owner ? "miss" : "waited") };
    } catch (err: unknown) {
      if (err instanceof RedisUnavailableError) {
        if (err.reason === "timeout") {
          // A call that timed out may still have run and taken the lock with our token (a reply
          // can be late because this isolate was busy, not Redis); free it so others need not wait
          // out the lock TTL. Compare-and-delete: harmless if the lock is not ours.
          background.waitUntil(releaseQuietly(keys, token, true));
        }
        return await bypass();
      }
      throw err;
    }
  }

  async function fill(
    keys: string[],
    token: string,
    generation: string,
    loaded: Loaded<unknown>,
  ): Promise<void> {
    const stale = loaded.found ? config.staleSeconds * 1000 : 0;
    const ttl = loaded.found ? config.ttlSeconds * 1000 + stale : config.negativeTtlSeconds * 1000;
    const encoded = encodeEntry({ filledAt: now(), loaded }, generation, stale);
    try {
      await guard.run(
        FILL,
        keys,
        [token, encoded, String(ttl), generation],
        { calls: 0 },
        parseIntegerReply,
      );
    } catch {
      // A fill that cannot be written leaves the key empty; the lock expires by its TTL.
    }
  }

  async function releaseQuietly(keys: string[], token: string, bestEffort = false): Promise<void> {
    try {
      await guard.run(
        RELEASE,
        [lockKeyOf(keys[0] ?? "")],
        [token],
        { calls: 0 },
        parseIntegerReply,
        bestEffort,
      );
    } catch {
      // The lock expires by its TTL.
    }
  }

  return { readThrough };
}
