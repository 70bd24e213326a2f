/**
 * The collection side of the workload: page readers (a few fixed page shapes inside the run's own
 * id range, so that pages are cached and hit), review writers (each acknowledged review read back,
 * as the list or as the product's rating) and review-list readers. Reviews go to the hot and cold
 * products only: they are never deleted, so a review count only ever grows (the analyzer relies on
 * that).
 */
import { type PageShape, sendPage, sendReview, sendReviewList } from "./collection-ops";
import { type SendCtx, send } from "./operation";
import { createRng, deriveSeed, type Rng } from "./prng";
import type { Target } from "./target";
import { type KeyPlan, waitUnlessHushed } from "./workload";

/** How many collection processes run, and how fast. */
export type CollectionOptions = {
  /** @default 3 */
  pageReaders?: number;
  /** @default 2 */
  reviewWriters?: number;
  /** @default 2 */
  reviewReaders?: number;
  /** Think time ranges in ms. @default pages [0, 10], reviews [0, 40], lists [0, 5] */
  pageThinkMs?: [number, number];
  reviewThinkMs?: [number, number];
  listThinkMs?: [number, number];
};

/** What the collection processes share with the rest of the workload. */
export type CollectionCtx = SendCtx & {
  targets: readonly Target[];
  keys: KeyPlan;
  seed: number;
  hotShare: number;
  stopped(): boolean;
  /** Counts acknowledged reviews. */
  acked: { reviews: number };
  /** The cold keys writes may touch now. */
  writable(): readonly string[];
  /** Review writers wait while this answers true (see `WorkloadOptions.hushed`). */
  hushed(): boolean;
};

/**
 * The page shapes read: the run's first products in pages of 5 and all of them in one page (which
 * runs past the run's range into whatever else the database holds), and two pages that start
 * inside the range.
 */
export function pageShapes(keys: KeyPlan): PageShape[] {
  const ids = [keys.hot, ...keys.cold, ...keys.churn].sort();
  const after = (i: number) => ids[Math.min(i, ids.length - 1)] ?? keys.prefix;
  return [
    { limit: 25, afterId: keys.prefix },
    { limit: 5, afterId: keys.prefix },
    { limit: 7, afterId: after(4) },
    { limit: 10, afterId: after(9) },
  ];
}

/** Starts the collection processes; each promise resolves when its process stopped. */
export function runCollections(ctx: CollectionCtx, opts: CollectionOptions = {}): Promise<void>[] {
  const shapes = pageShapes(ctx.keys);
  const procs: Promise<void>[] = [];
  for (let i = 0; i < (opts.pageReaders ?? 3); i++) {
    procs.push(pageReader(ctx, `pages-${i}`, i, shapes, opts.pageThinkMs ?? [0, 10]));
  }
  for (let i = 0; i < (opts.reviewWriters ?? 2); i++) {
    procs.push(reviewWriter(ctx, `reviewer-${i}`, i, opts.reviewThinkMs ?? [0, 40]));
  }
  for (let i = 0; i < (opts.reviewReaders ?? 2); i++) {
    procs.push(listReader(ctx, `lists-${i}`, i, opts.listThinkMs ?? [0, 5]));
  }
  return procs;
}

async function pageReader(
  ctx: CollectionCtx,
  proc: string,
  index: number,
  shapes: readonly PageShape[],
  thinkMs: [number, number],
): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index);
  while (!ctx.stopped()) {
    await sendPage(ctx, target, proc, rng.pick(shapes));
    await think(rng, thinkMs);
  }
}

async function reviewWriter(
  ctx: CollectionCtx,
  proc: string,
  index: number,
  thinkMs: [number, number],
): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index);
  while (!ctx.stopped()) {
    await waitUnlessHushed(ctx, proc);
    const key = rng.chance(ctx.hotShare) ? ctx.keys.hot : rng.pick(ctx.writable());
    const op = await sendReview(ctx, target, proc, key, {
      rating: 1 + rng.int(5),
      author: `checker ${rng.int(1000)}`,
      body: "consistency checker review",
    });
    if (op.status === "ok") {
      ctx.acked.reviews += 1;
      // Read-your-write on both things a review changes.
      await (rng.chance(0.5)
        ? sendReviewList(ctx, target, proc, key)
        : send(ctx, target, proc, key, "read"));
    }
    await think(rng, thinkMs);
  }
}

async function listReader(
  ctx: CollectionCtx,
  proc: string,
  index: number,
  thinkMs: [number, number],
): Promise<void> {
  const rng = createRng(deriveSeed(ctx.seed, proc));
  const target = targetFor(ctx, index + 1);
  while (!ctx.stopped()) {
    await sendReviewList(ctx, target, proc, reviewedKey(ctx, rng));
    await think(rng, thinkMs);
  }
}

function reviewedKey(ctx: CollectionCtx, rng: Rng): string {
  return rng.chance(ctx.hotShare) ? ctx.keys.hot : rng.pick(ctx.keys.cold);
}

function targetFor(ctx: CollectionCtx, index: number): Target {
  const target = ctx.targets[index % ctx.targets.length];
  if (target === undefined) {
    throw new Error("no target");
  }
  return target;
}

function think(rng: Rng, [min, max]: [number, number]): Promise<void> {
  const ms = rng.between(min, max);
  return ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}
