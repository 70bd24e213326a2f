/**
 * The workload: concurrent readers (GET), writers (PUT / PATCH with the bearer token, each write
 * read back), and one create/delete churn process per churn key, over a hot key (about half of all
 * reads and writes), cold keys and churn keys; plus page readers, review writers and review-list
 * readers (`collections.ts`). Each process has its own seeded PRNG stream, so its
 * schedule (keys, kinds, bodies, think times) is the same for the same seed.
 */
import { type CollectionOptions, runCollections } from "./collections";
import type { HistoryRecorder } from "./history";
import { type BookmarkIo, type HeldBookmark, send } from "./operation";
import { createRng, deriveSeed, type Rng } from "./prng";
import type { Target } from "./target";

/**
 * The ids the workload uses, all starting with `prefix` (so the run's products form one id range
 * that pages can start in). Hot and cold keys exist throughout; churn keys come and go.
 */
export type KeyPlan = { prefix: string; hot: string; cold: string[]; churn: string[] };

/** Options of {@link runWorkload}. */
export type WorkloadOptions = {
  targets: readonly Target[];
  recorder: HistoryRecorder;
  keys: KeyPlan;
  apiToken: string;
  seed: number;
  /** Run at least this long, in ms. */
  durationMs: number;
  /**
   * Keep going past `durationMs` until this many writes (deletes and creates included) were
   * acknowledged. @default 0
   */
  minWrites?: number;
  /** Keep going past `durationMs` until the churn processes re-created keys this often. @default 0 */
  minCreates?: number;
  /** Hard stop, in ms. @default 3 × durationMs */
  maxDurationMs?: number;
  /** @default 8 */
  readers?: number;
  /** Writer loops; each reads its key back after every acknowledged write. @default 6 */
  writers?: number;
  /** Share of reads and writes on the hot key. @default 0.5 */
  hotShare?: number;
  /** Share of reads on churn keys. @default 0.25 */
  churnReadShare?: number;
  /** Think time ranges in ms. @default reads [0, 5], writes [0, 20], churn [0, 10] */
  readThinkMs?: [number, number];
  writeThinkMs?: [number, number];
  churnThinkMs?: [number, number];
  /**
   * After an acknowledged delete, a churn key rests this long before it is re-created. The delete
   * stores a cached miss (`NEGATIVE_TTL_SECONDS`); once it has expired (as after an eviction), the
   * probe truly misses, and its load races the create's commit: the race M1 and M3 lose. With no
   * rest the probe mostly hits the delete's cached miss. @default 0
   */
  churnRestMs?: number;
  /** Per-request timeout in ms (a timed-out write has an unknown outcome). @default 5000 */
  opTimeoutMs?: number;
  /** Page readers, review writers and review-list readers; `false` for none. @default {} */
  collections?: CollectionOptions | false;
  /**
   * From this many ms after the start, writes (and reviews) leave the second half of the cold keys
   * alone; they are still read. A product written and then left alone is what an old snapshot
   * brings back stale: nothing but a replay of the invalidations can fix it. @default never
   */
  quietFromMs?: number;
  /**
   * While this answers true, only `writer-0` writes, one write every 150–400 ms; the other writing
   * processes (writers, churners, review writers) wait. Few writes between two losses of a group
   * generation are what a counter that restarts from zero cannot survive. @default never
   */
  hushed?: () => boolean;
  /**
   * Writing processes (writers, churners) keep the newest `Bookmark` they received per product and
   * send it on their own reads of that product (the read-back after a write included); every read
   * records whether it carried one (rule 8's read-your-writes). @default false
   */
  bookmarks?: boolean;
};

/** While hushed, the one writer's pause between writes, ms. */
const HUSHED_THINK_MS: [number, number] = [150, 400];

/** Waits while `hushed()`, for processes that must not write then; false once stopped. */
export async function waitUnlessHushed(
  ctx: { hushed(): boolean; stopped(): boolean },
  proc: string,
): Promise<void> {
  while (proc !== "writer-0" && ctx.hushed() && !ctx.stopped()) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Ctx = Required<
  Omit<
    WorkloadOptions,
    | "minWrites"
    | "minCreates"
    | "maxDurationMs"
    | "collections"
    | "quietFromMs"
    | "hushed"
    | "bookmarks"
  >
> & {
  hushed(): boolean;
  stopped(): boolean;
  /** The cold keys writes may touch now. */
  writable(): readonly string[];
  acked: { writes: number; creates: number; reviews: number };
  /** Writing processes carry bookmarks (`WorkloadOptions.bookmarks`). */
  bookmarks: boolean;
};

/** One process's bookmarks, the newest per product. */
type BookmarkJar = Map<string, HeldBookmark>;

/**
 * What an operation on `key` sends and keeps of bookmarks, when the run carries them: reads send
 * the one held, writes only keep what they are answered.
 */
function bookmarkIo(ctx: Ctx, jar: BookmarkJar, key: string, read: boolean): BookmarkIo {
  if (!ctx.bookmarks) {
    return {};
  }
  const held = read ? jar.get(key) : undefined;
  return {
    ...(held === undefined ? {} : { send: held }),
    received: (bookmark) => jar.set(key, bookmark),
  };
}

/** Runs the workload until its duration (and its minimums) are reached; returns its length in ms. */
export async function runWorkload(opts: WorkloadOptions): Promise<number> {
  const started = Date.now();
  const minWrites = opts.minWrites ?? 0;
  const maxMs = opts.maxDurationMs ?? opts.durationMs * 3;
  const minCreates = opts.minCreates ?? 0;
  const acked = { writes: 0, creates: 0, reviews: 0 };
  const ctx: Ctx = {
    readers: 8,
    writers: 6,
    hotShare: 0.5,
    churnReadShare: 0.25,
    readThinkMs: [0, 5],
    writeThinkMs: [0, 20],
    churnThinkMs: [0, 10],
    churnRestMs: 0,
    opTimeoutMs: 5000,
    ...opts,
    acked,
    bookmarks: opts.bookmarks ?? false,
    hushed: opts.hushed ?? (() => false),
    writable: () => {
      const quiet = opts.quietFromMs !== undefined && Date.now() - started >= opts.quietFromMs;
      return quiet ? opts.keys.cold.slice(0, Math.ceil(opts.keys.cold.length / 2)) : opts.keys.cold;
    },
    stopped: () => {
      const elapsed = Date.now() - started;
      const sized = acked.writes >= minWrites && acked.creates >= minCreates;
      return elapsed >= maxMs || (elapsed >= opts.durationMs && sized);
    },
  };
  const procs: Promise<void>[] = [];
  for (let i = 0; i < ctx.readers; i++) {
    procs.push(reader(ctx, `reader-${i}`, i));
  }
  for (let i = 0; i < ctx.writers; i++) {
    procs.push(writer(ctx, `writer-${i}`, i));
  }
  ctx.keys.churn.forEach((key, i) => {
    procs.push(churner(ctx, `churn-${i}`, key, i));
  });
  if (opts.collections !== false) {
    procs.push(...runCollections(ctx, opts.collections ?? {}));
  }
  await Promise.all(procs);
  return Date.now() - started;
}

/** Seeds the hot and cold keys with one acknowledged PUT each (recorded as writes of `setup`). */
export async function seedKeys(
  opts: Pick<WorkloadOptions, "targets" | "recorder" | "keys" | "apiToken" | "seed">,
): Promise<void> {
  const target = opts.targets[0];
  if (target === undefined) {
    throw new Error("no target");
  }
  const rng = createRng(deriveSeed(opts.seed, "setup"));
  const keys = [opts.keys.hot, ...opts.keys.cold];
  const seeded = await Promise.all(
    keys.map((key) => send(opts, target, "setup", key, "put", productBody(rng))),
  );
  const failed = seeded.find((op) => op.status !== "ok");
  if (failed !== undefined) {
    throw new Error(`seeding ${failed.key} failed with HTTP ${failed.httpStatus}`);
  }
}

async function reader(ctx: Ctx, proc: string, index: number): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index);
  const coldShare = 1 - ctx.hotShare - (ctx.keys.churn.length > 0 ? ctx.churnReadShare : 0);
  while (!ctx.stopped()) {
    const roll = rng.next();
    const key =
      roll < ctx.hotShare
        ? ctx.keys.hot
        : roll < ctx.hotShare + coldShare || ctx.keys.churn.length === 0
          ? rng.pick(ctx.keys.cold)
          : rng.pick(ctx.keys.churn);
    await send(ctx, target, proc, key, "read");
    await think(rng, ctx.readThinkMs);
  }
}

async function writer(ctx: Ctx, proc: string, index: number): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index);
  const jar: BookmarkJar = new Map();
  while (!ctx.stopped()) {
    await waitUnlessHushed(ctx, proc);
    const key = rng.chance(ctx.hotShare) ? ctx.keys.hot : rng.pick(ctx.writable());
    const io = (read: boolean) => bookmarkIo(ctx, jar, key, read);
    const op = rng.chance(0.5)
      ? await send(ctx, target, proc, key, "put", productBody(rng), null, io(false))
      : await send(ctx, target, proc, key, "patch", { stock: rng.int(1000) }, null, io(false));
    if (op.status === "ok") {
      ctx.acked.writes += 1;
      // Read-your-write: the contract's rule 1 (and rule 8 with the write's bookmark).
      await send(ctx, target, proc, key, "read", undefined, null, io(true));
    }
    await think(rng, ctx.hushed() ? HUSHED_THINK_MS : ctx.writeThinkMs);
  }
}

type ChurnKey = { present: boolean; createdAt: number | null; uncertain: boolean };

/**
 * Cycles one churn key. A turn deletes the key (if present), then re-creates it while a probe on
 * another isolate reads it concurrently (the probe's miss loads
 * "absent" just as the create commits: the race a cached miss must survive), then reads it back
 * twice once the create is acknowledged. After an operation with an unknown outcome the key's
 * state is read first.
 */
async function churner(ctx: Ctx, proc: string, key: string, index: number): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index);
  const probeTarget = targetFor(ctx, index + 1);
  const s: ChurnKey = { present: false, createdAt: null, uncertain: false };
  const jar: BookmarkJar = new Map();
  const io = (read: boolean) => bookmarkIo(ctx, jar, key, read);
  while (!ctx.stopped()) {
    await waitUnlessHushed(ctx, proc);
    if (s.uncertain) {
      const seen = await send(ctx, target, proc, key, "read", undefined, null, io(true));
      if (seen.status !== "ok") {
        continue;
      }
      Object.assign(s, {
        present: seen.version !== -1,
        createdAt: seen.createdAt,
        uncertain: false,
      });
    }
    if (s.present) {
      const del = await send(ctx, target, proc, key, "delete", undefined, s.createdAt, io(false));
      s.present = !(del.status === "ok" || del.httpStatus === 404);
      s.uncertain = del.status === "info";
      ctx.acked.writes += del.status === "ok" ? 1 : 0;
      if (del.status === "ok") {
        await rest(ctx);
      }
    }
    if (!s.present && !s.uncertain) {
      // Sent together: the probe's load and the create's commit reach Postgres at about the same time.
      const probe = send(ctx, probeTarget, `${proc}-probe`, key, "read");
      const put = await send(ctx, target, proc, key, "put", productBody(rng), null, io(false));
      await probe;
      Object.assign(s, {
        present: put.status === "ok",
        createdAt: put.createdAt,
        uncertain: put.status !== "ok",
      });
      if (put.status === "ok") {
        ctx.acked.writes += 1;
        ctx.acked.creates += 1;
        // Read the creation back at once and again a little later (a late, wrong fill lands then).
        await send(ctx, target, proc, key, "read", undefined, null, io(true));
        await think(rng, ctx.churnThinkMs);
        await send(ctx, target, proc, key, "read", undefined, null, io(true));
      }
    }
    await think(rng, ctx.churnThinkMs);
  }
}

/** Sleeps `churnRestMs`, in short steps so that a stopped run does not wait for it. */
async function rest(ctx: Ctx): Promise<void> {
  const until = Date.now() + ctx.churnRestMs;
  while (!ctx.stopped() && Date.now() < until) {
    await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
  }
}

function targetFor(ctx: Ctx, index: number): Target {
  const target = ctx.targets[index % ctx.targets.length];
  if (target === undefined) {
    throw new Error("no target");
  }
  return target;
}

function productBody(rng: Rng): Record<string, unknown> {
  return {
    name: `checker ${rng.int(1e6)}`,
    description: "consistency checker",
    priceCents: rng.int(100_000),
    currency: "EUR",
    stock: rng.int(1000),
  };
}

function think(rng: Rng, [min, max]: [number, number]): Promise<void> {
  const ms = rng.between(min, max);
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
