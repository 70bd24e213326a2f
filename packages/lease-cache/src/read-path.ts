/**
 * The read path of the request that leads its batch, one step per method:
 *
 * 1. `readOrLease`: one round trip reads the entry and, when it is missing or stale, tries to take
 *    its fill lock (the lease) with this read's token;
 * 2. then, by the reply: answer a stored entry, load and fill under the lease, or wait for the
 *    holder by polling on a bounded schedule;
 * 3. a waiter whose budget ran out loads directly, once per isolate and lock, and fills nothing;
 * 4. Redis unusable at any step: answer from the loader, fill nothing (`bypass`).
 *
 * `cache-aside.ts` wires it; the design is described in the package README.
 */

import type { DirectLoads } from "./direct-loads.js";
import { decodeEntry, encodeEntry } from "./envelope.js";
import { type RedisGuard, RedisUnavailableError } from "./failure-policy.js";
import { type EntryRef, lockKeyOf } from "./keys.js";
import { parseIntegerReply, parseReadReply, type ReadReply } from "./read-reply.js";
import type { CallCounter } from "./run-script.js";
import { DROP_AND_LEASE, FILL, READ_OR_LEASE, RELEASE, ReadCode } from "./scripts.js";
import type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  Loaded,
} from "./types.js";
import { waitSchedule } from "./wait-schedule.js";

/** What a read needs; built once per cache by `createCacheAside`. */
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

/** Longest a waiter polls before it loads directly, in ms (also kept below half the lock TTL). */
const MAX_WAIT_MS = 800;

/**
 * Reads `entry` for the request leading its batch. `done` is called once this request's part is
 * over, background fill included, which lets the next batch for the key start.
 */
export function readThrough(
  deps: ReadPathDeps,
  entry: EntryRef,
  load: () => Promise<Loaded<unknown>>,
  done: () => void,
): Promise<CacheResult<unknown>> {
  return new ReadAttempt(deps, entry, load, done).run();
}

/** One read's state: its token, its keys, its Redis calls and its timings. */
class ReadAttempt {
  readonly #deps: ReadPathDeps;
  readonly #entry: EntryRef;
  readonly #load: () => Promise<Loaded<unknown>>;
  readonly #done: () => void;
  readonly #counter: CallCounter = { calls: 0 };
  readonly #token: string;
  /** Value key, lock key and, for a grouped entry, the group's generation key. */
  readonly #keys: string[];
  readonly #startedAt: number;
  #loadMs: number | undefined;

  constructor(
    deps: ReadPathDeps,
    entry: EntryRef,
    load: () => Promise<Loaded<unknown>>,
    done: () => void,
  ) {
    this.#deps = deps;
    this.#entry = entry;
    this.#load = load;
    this.#done = done;
    this.#token = deps.newToken();
    this.#startedAt = deps.now();
    const { key, group } = entry;
    this.#keys = group === undefined ? [key, lockKeyOf(key)] : [key, lockKeyOf(key), group];
  }

  async run(): Promise<CacheResult<unknown>> {
    try {
      return await this.#actOn(await this.#readOrLease());
    } catch (err: unknown) {
      if (err instanceof RedisUnavailableError) {
        return await this.#bypass(err);
      }
      throw err;
    }
  }

  /** Acts on `readOrLease` replies until one of them answers the read. */
  async #actOn(first: ReadReply): Promise<CacheResult<unknown>> {
    const polls = this.#pollDelays();
    let reply = first;
    let polled = false;
    for (;;) {
      if (reply.code === ReadCode.leased) {
        return await this.#loadUnderLease(reply);
      }
      if (reply.code === ReadCode.locked) {
        const delay = polls.shift();
        // Keep one call for the fill a later lease would need.
        if (delay === undefined || this.#callsLeft() < 2) {
          return await this.#loadDirectly(reply);
        }
        await this.#deps.sleep(delay);
        polled = true;
        reply = await this.#readOrLease();
        continue;
      }
      const answered = this.#answer(reply, polled ? "waited" : "hit");
      if (answered !== undefined) {
        return answered;
      }
      reply = await this.#dropAndLease(reply);
    }
  }

  /** The waiting schedule: within the call budget and well inside the lock's lifetime. */
  #pollDelays(): number[] {
    const { config, random } = this.#deps;
    return waitSchedule({
      maxPolls: Math.max(0, config.maxRedisCallsPerGet - 2),
      deadlineMs: Math.min(MAX_WAIT_MS, (config.lockTtlSeconds * 1000) / 2),
      random,
    });
  }

  #callsLeft(): number {
    return this.#deps.config.maxRedisCallsPerGet - this.#counter.calls;
  }

  #readOrLease(): Promise<ReadReply> {
    return this.#deps.guard.run(
      READ_OR_LEASE,
      this.#keys,
      [this.#token, String(this.#deps.config.lockTtlSeconds)],
      this.#counter,
      parseReadReply,
    );
  }

  /** Drops an entry that does not decode (only if unchanged) and tries to take its lock. */
  async #dropAndLease(reply: ReadReply): Promise<ReadReply> {
    const dropped = await this.#deps.guard.run(
      DROP_AND_LEASE,
      this.#keys.slice(0, 2),
      [reply.raw, this.#token, String(this.#deps.config.lockTtlSeconds)],
      this.#counter,
      parseReadReply,
    );
    return { ...dropped, generation: reply.generation };
  }

  /** Answers a stored entry (refreshing it in the background when this read took the refresh lock); `undefined` when it does not decode. */
  #answer(reply: ReadReply, status: CacheStatus): CacheResult<unknown> | undefined {
    const decoded = decodeEntry(reply.raw);
    if (decoded === undefined) {
      return undefined;
    }
    if (reply.code === ReadCode.staleRefresh) {
      this.#deps.background.waitUntil(
        this.#timedLoad()
          .then((loaded) => this.#fill(reply.generation, loaded))
          .catch(() => this.#release())
          .finally(this.#done),
      );
    } else {
      this.#done();
    }
    const stale = reply.code === ReadCode.stale || reply.code === ReadCode.staleRefresh;
    return {
      loaded: decoded.loaded,
      outcome: this.#outcome(stale ? "stale" : status, {
        ageMs: Math.max(0, this.#deps.now() - decoded.filledAt),
      }),
    };
  }

  /** Loads under this read's lease and fills in the background, off the critical path. */
  async #loadUnderLease(reply: ReadReply): Promise<CacheResult<unknown>> {
    let loaded: Loaded<unknown>;
    try {
      loaded = await this.#timedLoad();
    } catch (err: unknown) {
      this.#deps.background.waitUntil(this.#release().finally(this.#done));
      throw err;
    }
    this.#deps.background.waitUntil(this.#fill(reply.generation, loaded).finally(this.#done));
    return { loaded, outcome: this.#outcome("miss") };
  }

  /** The holder is slow or gone: load without the lease, once per isolate and lock; fill nothing. */
  async #loadDirectly(reply: ReadReply): Promise<CacheResult<unknown>> {
    this.#done();
    const { config, directLoads } = this.#deps;
    const shared = directLoads.loadOnce(
      this.#entry.key,
      `${reply.holder}|${reply.generation}`,
      config.lockTtlSeconds * 1000,
      () => this.#timedLoad(),
    );
    const loaded = await shared.promise;
    return { loaded, outcome: this.#outcome(shared.owner ? "miss" : "waited") };
  }

  /** Redis is unusable: answer from the loader and fill nothing. */
  async #bypass(err: RedisUnavailableError): Promise<CacheResult<unknown>> {
    if (err.reason === "timeout") {
      // A call that timed out may still have run and taken the lock with our token (a reply can
      // be late because this isolate was busy, not Redis); free it so others need not wait out
      // the lock TTL. Compare-and-delete: harmless if the lock is not ours.
      this.#deps.background.waitUntil(this.#release(true));
    }
    this.#done();
    const loaded = await this.#timedLoad();
    return { loaded, outcome: this.#outcome("bypass") };
  }

  /** Stores `loaded` if this read still holds the lease and the group has not moved on. */
  async #fill(generation: string, loaded: Loaded<unknown>): Promise<void> {
    const { config, guard, now } = this.#deps;
    const staleMs = loaded.found ? config.staleSeconds * 1000 : 0;
    const ttlMs = loaded.found
      ? config.ttlSeconds * 1000 + staleMs
      : config.negativeTtlSeconds * 1000;
    const encoded = encodeEntry({ filledAt: now(), loaded }, generation, staleMs);
    try {
      await guard.run(
        FILL,
        this.#keys,
        [this.#token, encoded, String(ttlMs), generation],
        { calls: 0 },
        parseIntegerReply,
      );
    } catch {
      // A fill that cannot be written leaves the key empty; the lock expires by its TTL.
    }
  }

  /** Frees this read's lock if it still holds it. */
  async #release(bestEffort = false): Promise<void> {
    try {
      await this.#deps.guard.run(
        RELEASE,
        [lockKeyOf(this.#entry.key)],
        [this.#token],
        { calls: 0 },
        parseIntegerReply,
        bestEffort,
      );
    } catch {
      // The lock expires by its TTL.
    }
  }

  async #timedLoad(): Promise<Loaded<unknown>> {
    const startedAt = this.#deps.now();
    try {
      return await this.#load();
    } finally {
      this.#loadMs = (this.#loadMs ?? 0) + (this.#deps.now() - startedAt);
    }
  }

  #outcome(status: CacheStatus, extra: Partial<CacheOutcome> = {}): CacheOutcome {
    const loadMs = this.#loadMs;
    return {
      status,
      redisCalls: this.#counter.calls,
      cacheMs: Math.max(0, this.#deps.now() - this.#startedAt - (loadMs ?? 0)),
      ...(loadMs === undefined ? {} : { loadMs }),
      ...extra,
    };
  }
}
