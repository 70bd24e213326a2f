/**
 * The forgetful nemesis: runs a schedule (`schedule.ts`) against the private Redis while the
 * workload runs, and logs every fault on the history's clock, so each read can be attributed to
 * the fault active or last before it. Faults:
 * - `evict-lru`, `evict-random`: eviction pressure with that `allkeys-*` policy (`eviction.ts`);
 * - `delete-keys`: every 30–300 ms, DEL one random key of the run, found by SCAN of its prefix,
 *   of a kind drawn by weight (value, lock, group generation, watermark; `key-kinds.ts`);
 * - `flush`: FLUSHDB;
 * - `restore`: stop Redis and start it again on the same port from the snapshot (`snapshot`),
 *   so it comes back with the older data (and older expiry times) of that moment. With `holdUrl`
 *   the Upstash server holds every request meanwhile (a failover behind the endpoint: the clients
 *   see a pause of a few hundred ms, then the older data); without it they see the outage too.
 */
import type { HistoryRecorder } from "../consistency/history";
import { control } from "../consistency/knobs";
import { createRng, deriveSeed, type Rng } from "../consistency/prng";
import { wakeableSleep } from "../consistency/wakeable-sleep";
import { type EvictionOptions, type EvictionReport, startEviction } from "./eviction";
import { KEY_KINDS, type KeyKind, type KindCounts, keyKindOf, zeroKinds } from "./key-kinds";
import type { PrivateRedis, Snapshot } from "./private-redis";
import type { ScheduledFault } from "./schedule";

/** One fault on the history's clock (ns). Point faults have `tStart` ≈ `tEnd`. */
export type FaultEvent = {
  /** `evict-lru`, `evict-random`, `delete:<kind>`, `flush`, `restore`. */
  fault: string;
  tStart: number;
  /** For a restore: Redis answers again (its "return"). */
  tEnd: number;
  /** The key a deletion removed. */
  key?: string;
};

/** What the nemesis did. */
export type ForgetfulReport = {
  events: FaultEvent[];
  evictions: EvictionReport[];
  /** INFO `evicted_keys` over the whole run (every lifetime of the server). */
  evictedKeys: number;
  deletedKeys: KindCounts;
  flushes: number;
  restores: number;
  /** Keys in the snapshot when it was taken. */
  snapshotKeys: number | null;
  /** Stop to PING of each restore, ms. */
  restoreDowntimeMs: number[];
  /** Scheduled entries the run ended before. */
  skipped: string[];
};

/** Options of {@link startNemesis}. */
export type NemesisOptions = {
  redis: PrivateRedis;
  recorder: HistoryRecorder;
  schedule: readonly ScheduledFault[];
  /** The schedule's fractions are of this, ms. */
  durationMs: number;
  /** The run's key prefix (`CACHE_KEY_PREFIX`). */
  prefix: string;
  seed: number;
  eviction?: EvictionOptions;
  /** Pause between deletions, ms. @default [30, 300] */
  deleteEveryMs?: [number, number];
  /**
   * Relative odds of each kind of key being the next one deleted. Group generations weigh most: a
   * generation lost twice in quick succession is what a counter that restarts from zero cannot
   * survive. @default DEFAULT_DELETE_WEIGHTS
   */
  deleteWeights?: Partial<KindCounts>;
  /** The Upstash server's fault control endpoint, to hold requests during a restore. @default none */
  holdUrl?: string;
};

/** Relative odds of the kinds of keys deleted, by default. */
export const DEFAULT_DELETE_WEIGHTS: Readonly<KindCounts> = {
  value: 1,
  lock: 1,
  marker: 1,
  group: 4,
  watermark: 1,
};

/** A running nemesis. */
export type ActiveNemesis = {
  stop(): Promise<ForgetfulReport>;
  /** Whether a `delete-keys` phase is under way (the workload then hushes its writes). */
  deleting(): boolean;
};

/** Starts the schedule now. */
export function startNemesis(opts: NemesisOptions): ActiveNemesis {
  const report: ForgetfulReport = {
    events: [],
    evictions: [],
    evictedKeys: 0,
    deletedKeys: zeroKinds(),
    flushes: 0,
    restores: 0,
    snapshotKeys: null,
    restoreDowntimeMs: [],
    skipped: [],
  };
  const rng = createRng(deriveSeed(opts.seed, "forgetful"));
  const started = Date.now();
  let stopped = false;
  const { sleep, wake } = wakeableSleep();
  const sleepUntil = (at: number) => sleep(at - Date.now());
  const at = (fraction: number) => started + fraction * opts.durationMs;
  const ctx: Ctx = { ...opts, report, rng, stopped: () => stopped, sleepUntil };
  let snapshot: Snapshot | undefined;
  let deleting = false;
  const run = (async () => {
    for (const entry of opts.schedule) {
      await sleepUntil(at(entry.from));
      if (stopped) {
        report.skipped.push(entry.kind);
        continue;
      }
      if (entry.kind === "snapshot") {
        snapshot = await opts.redis.snapshot();
        report.snapshotKeys = snapshot.keys;
      } else if (entry.kind === "restore" && snapshot !== undefined) {
        await restore(ctx, snapshot);
      } else if (entry.kind === "flush") {
        await point(ctx, "flush", () => opts.redis.command("FLUSHDB"));
        report.flushes += 1;
      } else if (entry.kind === "delete-keys") {
        deleting = true;
        await deleteKeys(ctx, at(entry.to ?? entry.from));
        deleting = false;
      } else if (entry.kind === "evict-lru" || entry.kind === "evict-random") {
        await evict(ctx, entry.kind, at(entry.to ?? entry.from));
      }
    }
  })();
  return {
    deleting: () => deleting,
    async stop() {
      stopped = true;
      wake();
      await run;
      report.evictedKeys = await opts.redis.evictedKeys();
      return report;
    },
  };
}

type Ctx = NemesisOptions & {
  report: ForgetfulReport;
  rng: Rng;
  stopped(): boolean;
  sleepUntil(at: number): Promise<void>;
};

async function point(ctx: Ctx, fault: string, act: () => Promise<unknown>): Promise<void> {
  const tStart = ctx.recorder.now();
  await act();
  ctx.report.events.push({ fault, tStart, tEnd: ctx.recorder.now() });
}

async function restore(ctx: Ctx, snapshot: Snapshot): Promise<void> {
  const began = Date.now();
  const hold = ctx.holdUrl;
  await point(ctx, "restore", async () => {
    if (hold === undefined) {
      await ctx.redis.restartFrom(snapshot);
      return;
    }
    await control(hold, "POST", { mode: "hang", match: [], probability: 1 });
    try {
      await ctx.redis.restartFrom(snapshot);
    } finally {
      // Switching the mode off releases the held requests, to the Redis that came back.
      await control(hold, "POST", { mode: "none", match: [] });
    }
  });
  ctx.report.restores += 1;
  ctx.report.restoreDowntimeMs.push(Date.now() - began);
}

async function evict(ctx: Ctx, kind: "evict-lru" | "evict-random", until: number): Promise<void> {
  const tStart = ctx.recorder.now();
  const policy = kind === "evict-lru" ? "allkeys-lru" : "allkeys-random";
  const phase = await startEviction(ctx.redis, policy, ctx.prefix, ctx.eviction);
  await ctx.sleepUntil(until);
  ctx.report.evictions.push(await phase.stop());
  ctx.report.events.push({ fault: kind, tStart, tEnd: ctx.recorder.now() });
}

async function deleteKeys(ctx: Ctx, until: number): Promise<void> {
  const [min, max] = ctx.deleteEveryMs ?? [30, 300];
  const weights = { ...DEFAULT_DELETE_WEIGHTS, ...ctx.deleteWeights };
  while (!ctx.stopped() && Date.now() < until) {
    const byKind = await runKeys(ctx.redis, ctx.prefix);
    // A kind drawn by weight among those the run has a key of right now (locks come and go).
    const present = KEY_KINDS.filter((k) => (byKind.get(k) ?? []).length > 0 && weights[k] > 0);
    const kind = pickWeighted(ctx.rng, present, weights);
    const keys = kind === undefined ? [] : (byKind.get(kind) ?? []);
    if (kind !== undefined && keys.length > 0) {
      const key = ctx.rng.pick(keys);
      const tStart = ctx.recorder.now();
      const reply = await ctx.redis.command("DEL", key);
      if (reply.kind === "integer" && reply.value === 1) {
        ctx.report.deletedKeys[kind] += 1;
        ctx.report.events.push({ fault: `delete:${kind}`, tStart, tEnd: ctx.recorder.now(), key });
      }
    }
    await ctx.sleepUntil(Math.min(until, Date.now() + ctx.rng.between(min, max)));
  }
}

function pickWeighted(
  rng: Rng,
  kinds: readonly KeyKind[],
  weights: KindCounts,
): KeyKind | undefined {
  let roll = rng.between(
    0,
    kinds.reduce((sum, k) => sum + weights[k], 0),
  );
  for (const kind of kinds) {
    roll -= weights[kind];
    if (roll < 0) {
      return kind;
    }
  }
  return kinds.at(-1);
}

/** Every key under `prefix`, by kind (SCAN, so Redis is never blocked). */
async function runKeys(redis: PrivateRedis, prefix: string): Promise<Map<KeyKind, string[]>> {
  const byKind = new Map<KeyKind, string[]>();
  let cursor = "0";
  do {
    const reply = await redis.command(
      "SCAN",
      cursor,
      "MATCH",
      `${globEscape(prefix)}*`,
      "COUNT",
      1000,
    );
    const [next, keys] = reply.kind === "array" ? reply.items : [];
    cursor = next?.kind === "bulk" ? next.value.toString("utf8") : "0";
    for (const item of keys?.kind === "array" ? keys.items : []) {
      if (item.kind === "bulk") {
        const key = item.value.toString("utf8");
        const kind = keyKindOf(key);
        byKind.set(kind, [...(byKind.get(kind) ?? []), key]);
      }
    }
  } while (cursor !== "0");
  return byKind;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
