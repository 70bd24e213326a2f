/**
 * The read path of the request that leads its batch, one step per method:
 *
 * 1. with `readConsistency: "nearest"`, a read-only `peek` that a read region can answer: a fresh
 *    entry of the current generation, recent enough for the reader, is a hit;
 * 2. otherwise `readOrLease` at the primary: one round trip reads the entry and, when it is
 *    missing, stale, too old or of an old generation, tries to take its fill lock (the lease);
 * 3. then, by the reply: answer a stored entry, load and fill under the lease (the fill is
 *    fenced by the stored revision), or wait for the holder by polling on a bounded schedule;
 * 4. a waiter whose budget ran out loads directly, once per isolate and lock, and fills nothing;
 * 5. Redis unusable at any step: answer from the loader, fill nothing (`bypass`).
 *
 * `cache-aside.ts` wires it; the design is described in the package README.
 */

import type { DirectLoads } from "./direct-loads.js";
import { decodeEntry, encodeEntry, parseEnvelope } from "./envelope.js";
import { type CallKind, type RedisGuard, RedisUnavailableError } from "./failure-policy.js";
import type { FillTimes } from "./fill-times.js";
import { type EntryRef, lockKeyOf, revisionKeyOf } from "./keys.js";
import {
  type PeekReply,
  parseIntegerReply,
  parsePeekReply,
  parseReadReply,
  type ReadReply,
} from "./read-reply.js";
import type { RedisPort } from "./redis-port.js";
import type { CallCounter } from "./run-script.js";
import { DROP_AND_LEASE, FILL, PEEK, READ_OR_LEASE, RELEASE, ReadCode } from "./scripts.js";
import type {
  BackgroundContext,
  CacheConfig,
  CacheOutcome,
  CacheResult,
  CacheStatus,
  GetOptions,
  LoadContext,
  Loaded,
  Regression,
} from "./types.js";
import { waitSchedule } from "./wait-schedule.js";
import type { WatermarkWatch } from "./watermark.js";

/** What a read needs; built once per cache by `createCacheAside`. */
export type ReadPathDeps = {
  guard: RedisGuard;
  port: RedisPort;
  config: CacheConfig;
  background: BackgroundContext;
  directLoads: DirectLoads;
  fillTimes: FillTimes;
  watermarkKey: string;
  watermark: WatermarkWatch;
  onRegression: ((regression: Regression) => void) | undefined;
  readConsistency: "strong" | "nearest";
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  newToken: () => string;
};

/** A loader as the read path calls it. */
export type Loader = (ctx: LoadContext) => Promise<Loaded<unknown>>;

/** Longest a waiter polls before it loads directly, in ms (also kept below half the lock TTL). */
const MAX_WAIT_MS = 800;

/**
 * Reads `entry` for the request leading its batch. `done` is called once this request's part is
 * over, background fill included, which lets the next batch for the key start.
 */
export function readThrough(
  deps: ReadPathDeps,
  entry: EntryRef,
  load: Loader,
  options: GetOptions,
  done: () => void,
): Promise<CacheResult<unknown>> {
  return new ReadAttempt(deps, entry, load, options, done).run();
}

/** One read's state: its token, its keys, its Redis calls and its timings. */
class ReadAttempt {
  readonly #deps: ReadPathDeps;
  readonly #entry: EntryRef;
  readonly #load: Loader;
  readonly #options: GetOptions;
  readonly #done: () => void;
  readonly #counter: CallCounter = { calls: 0 };
  readonly #token: string;
  /** Value key, lock key, watermark key and, for a grouped entry, the group's generation key. */
  readonly #keys: string[];
  readonly #startedAt: number;
  /** When the latest `readOrLease` was sent. */
  #lookSentAt = 0;
  #loadMs: number | undefined;

  constructor(
    deps: ReadPathDeps,
    entry: EntryRef,
    load: Loader,
    options: GetOptions,
    done: () => void,
  ) {
    this.#deps = deps;
    this.#entry = entry;
    this.#load = load;
    this.#options = options;
    this.#done = done;
    this.#token = deps.newToken();
    this.#startedAt = deps.now();
    const { key, group } = entry;
    const base = [key, lockKeyOf(key), deps.watermarkKey, revisionKeyOf(key)];
    this.#keys = group === undefined ? base : [...base, group];
  }

  async run(): Promise<CacheResult<unknown>> {
    try {
      if (this.#deps.readConsistency === "nearest") {
        const hit = this.#nearestHit(await this.#peek());
        if (hit !== undefined) {
          return hit;
        }
      }
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
    let lockedSince: number | undefined;
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
        lockedSince ??= this.#deps.now();
        // A poll is due `delay` after the previous look was sent, not after its reply was read:
        // in a busy isolate (a stampede still arriving) the reply is read late, and the fill may
        // have landed meanwhile. The number of polls stays the schedule's.
        await this.#deps.sleep(Math.max(0, this.#lookSentAt + delay - this.#deps.now()));
        polled = true;
        reply = await this.#readOrLease();
        continue;
      }
      const answered = this.#answer(reply, polled ? "waited" : "hit");
      if (answered !== undefined) {
        if (lockedSince !== undefined) {
          this.#deps.fillTimes.observe(this.#deps.now() - lockedSince);
        }
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
      expectedMs: this.#deps.fillTimes.expectedMs,
    });
  }

  #callsLeft(): number {
    return this.#deps.config.maxRedisCallsPerGet - this.#counter.calls;
  }

  /** A read-only look that a read region may answer, at the position the reader's bookmark names. */
  #peek(): Promise<PeekReply> {
    const { guard, port, watermarkKey } = this.#deps;
    const { key, group } = this.#entry;
    if (this.#options.syncToken !== undefined) {
      port.syncToken?.set(this.#options.syncToken);
    }
    const keys = group === undefined ? [key, watermarkKey] : [key, watermarkKey, group];
    return guard.run(PEEK, keys, [], this.#counter, parsePeekReply);
  }

  /** A hit from `peek`: a fresh entry of the current generation, recent enough for the reader. */
  #nearestHit(peek: PeekReply): CacheResult<unknown> | undefined {
    const header = parseEnvelope(peek.raw);
    if (header === undefined || header.kind !== "v") {
      return undefined;
    }
    const currentGeneration = this.#entry.group === undefined ? "0" : peek.generation;
    const stale = header.staleWindowMs > 0 && peek.pttlMs <= header.staleWindowMs;
    if (currentGeneration === "" || header.generation !== currentGeneration || stale) {
      return undefined;
    }
    const decoded = decodeEntry(peek.raw);
    if (decoded === undefined || !this.#recentEnough(decoded.rev)) {
      return undefined;
    }
    this.#done();
    return {
      loaded: withRev(decoded.loaded, decoded.rev),
      outcome: this.#outcome("hit", { ageMs: Math.max(0, this.#deps.now() - decoded.filledAt) }),
    };
  }

  #recentEnough(rev: number | undefined): boolean {
    const { minRev } = this.#options;
    return minRev === undefined || (rev !== undefined && rev >= minRev);
  }

  async #readOrLease(): Promise<ReadReply> {
    const knownAtSend = this.#deps.watermark.known;
    this.#lookSentAt = this.#deps.now();
    const reply = await this.#deps.guard.run(
      READ_OR_LEASE,
      this.#keys,
      [
        this.#token,
        String(this.#deps.config.lockTtlSeconds),
        this.#options.minRev === undefined ? "" : String(this.#options.minRev),
      ],
      this.#counter,
      parseReadReply,
    );
    this.#deps.watermark.observe(reply.watermark, knownAtSend, this.#deps.onRegression);
    return reply;
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
    return { ...dropped, generation: reply.generation, watermark: reply.watermark };
  }

  /** Answers a stored entry (refreshing it in the background when this read took the refresh lock); `undefined` when it does not decode. */
  #answer(reply: ReadReply, status: CacheStatus): CacheResult<unknown> | undefined {
    const decoded = decodeEntry(reply.raw);
    if (decoded === undefined) {
      return undefined;
    }
    if (reply.code === ReadCode.staleRefresh) {
      this.#deps.background.waitUntil(
        this.#timedLoad(reply)
          .then((loaded) => this.#fill(reply, loaded))
          .catch(() => this.#release())
          .finally(this.#done),
      );
    } else {
      this.#done();
    }
    const stale = reply.code === ReadCode.stale || reply.code === ReadCode.staleRefresh;
    return {
      loaded: withRev(decoded.loaded, decoded.rev),
      outcome: this.#outcome(stale ? "stale" : status, {
        ageMs: Math.max(0, this.#deps.now() - decoded.filledAt),
      }),
    };
  }

  /** Loads under this read's lease and fills in the background, off the critical path. */
  async #loadUnderLease(reply: ReadReply): Promise<CacheResult<unknown>> {
    let loaded: Loaded<unknown>;
    try {
      loaded = await this.#timedLoad(reply);
    } catch (err: unknown) {
      this.#deps.background.waitUntil(this.#release().finally(this.#done));
      throw err;
    }
    this.#deps.background.waitUntil(this.#fill(reply, loaded).finally(this.#done));
    return { loaded, outcome: this.#outcome("miss") };
  }

  /** The holder is slow or gone: load without the lease, once per isolate and lock; fill nothing. */
  async #loadDirectly(reply: ReadReply): Promise<CacheResult<unknown>> {
    this.#done();
    const { config, directLoads } = this.#deps;
    const shared = directLoads.loadOnce(
      this.#entry.key,
      `${reply.holder}|${reply.generation}|${reply.storedRev ?? ""}|${this.#options.minRev ?? ""}`,
      config.lockTtlSeconds * 1000,
      () => this.#timedLoad(reply),
    );
    const loaded = await shared.promise;
    return { loaded, outcome: this.#outcome(shared.owner ? "miss" : "waited") };
  }

  /** Redis is unusable: answer from the loader (the primary: nothing is known) and fill nothing. */
  async #bypass(err: RedisUnavailableError): Promise<CacheResult<unknown>> {
    if (err.reason === "timeout") {
      // A call that timed out may still have run and taken the lock with our token (a reply can
      // be late because this isolate was busy, not Redis); free it so others need not wait out
      // the lock TTL. Compare-and-delete: harmless if the lock is not ours.
      this.#deps.background.waitUntil(this.#release("best-effort"));
    }
    this.#done();
    const loaded = await this.#timedLoad(undefined);
    return { loaded, outcome: this.#outcome("bypass") };
  }

  /** Stores `loaded` if this read still holds the lease, the group has not moved on, and nothing newer is stored. */
  async #fill(reply: ReadReply, loaded: Loaded<unknown>): Promise<void> {
    const { config, guard, now } = this.#deps;
    const unprovable = loaded.source === "replica" && loaded.rev === undefined;
    if (!this.#recentEnough(loaded.rev) || unprovable) {
      // Older than the reader's bookmark, or from a replica with nothing to show how recent it
      // is: never store it.
      await this.#release();
      return;
    }
    const staleMs = loaded.found ? config.staleSeconds * 1000 : 0;
    const ttlMs = loaded.found
      ? config.ttlSeconds * 1000 + staleMs
      : config.negativeTtlSeconds * 1000;
    const encoded = encodeEntry(
      { filledAt: now(), loaded: withoutMeta(loaded), ...revOf(loaded) },
      { generation: reply.generation, staleWindowMs: staleMs },
    );
    const { key, group } = this.#entry;
    const marked = [key, lockKeyOf(key), revisionKeyOf(key)];
    const fillKeys = group === undefined ? marked : [...marked, group];
    try {
      await guard.run(
        FILL,
        fillKeys,
        [
          this.#token,
          encoded,
          String(ttlMs),
          reply.generation,
          loaded.rev === undefined ? "" : String(loaded.rev),
          loaded.source === "replica" ? "1" : "",
          String(config.revisionTtlSeconds),
        ],
        { calls: 0 },
        parseIntegerReply,
      );
    } catch {
      // A fill that cannot be written leaves the key empty; the lock expires by its TTL.
    }
  }

  /** Frees this read's lock if it still holds it. */
  async #release(kind: CallKind = "normal"): Promise<void> {
    try {
      await this.#deps.guard.run(
        RELEASE,
        [lockKeyOf(this.#entry.key)],
        [this.#token],
        { calls: 0 },
        parseIntegerReply,
        kind,
      );
    } catch {
      // The lock expires by its TTL.
    }
  }

  /** Runs the loader, telling it the lowest revision known to include every acknowledged write. */
  async #timedLoad(reply: ReadReply | undefined): Promise<Loaded<unknown>> {
    const startedAt = this.#deps.now();
    try {
      return await this.#load({ minRev: minRevOf(reply?.storedRev, this.#options.minRev) });
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

/**
 * The revision a load must reach: what Redis holds (which includes every acknowledged write,
 * since writers raise it before they answer), raised to the reader's own minimum. Without a
 * stored revision nothing is known (a reader's bookmark alone does not cover other writers).
 */
function minRevOf(stored: number | undefined, reader: number | undefined): number | undefined {
  if (stored === undefined) {
    return undefined;
  }
  return reader === undefined ? stored : Math.max(stored, reader);
}

function revOf(loaded: Loaded<unknown>): { rev?: number } {
  return loaded.rev === undefined ? {} : { rev: loaded.rev };
}

/** The state alone, as the envelope stores it. */
function withoutMeta(loaded: Loaded<unknown>): Loaded<unknown> {
  return loaded.found ? { found: true, value: loaded.value } : { found: false };
}

function withRev(loaded: Loaded<unknown>, rev: number | undefined): Loaded<unknown> {
  return rev === undefined ? loaded : { ...loaded, rev };
}
