/**
 * Time to converge after the load (and the faults) stop: every key is polled through the API, on
 * every target, until it answers what Postgres holds (version, incarnation and review count).
 */
import type { FinalState } from "./analyzer";
import type { Target } from "./target";

/** Per key: ms from the start of polling until every target agreed with Postgres; `null` if never. */
export type Convergence = {
  perKey: Record<string, number | null>;
  /** Slowest key, ms (`null` when some key never converged). */
  maxMs: number | null;
  /** Keys converged within 1 s, 5 s, 60 s (cumulative), and never (within the deadline). */
  buckets: { within1s: number; within5s: number; within60s: number; never: number };
};

/** Options of {@link measureConvergence}. */
export type ConvergeOptions = {
  targets: readonly Target[];
  finals: ReadonlyMap<string, FinalState>;
  /** Give up on a key after this many ms. @default 10000 */
  deadlineMs?: number;
  /** Pause between polls of a key, ms. @default 25 */
  pollMs?: number;
};

/** Polls every key until it converges or the deadline passes. */
export async function measureConvergence(opts: ConvergeOptions): Promise<Convergence> {
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const pollMs = opts.pollMs ?? 25;
  const started = Date.now();
  const perKey: Record<string, number | null> = {};
  await Promise.all(
    [...opts.finals].map(async ([key, final]) => {
      for (;;) {
        const answers = await Promise.all(opts.targets.map((t) => agrees(t, key, final)));
        const elapsed = Date.now() - started;
        if (answers.every(Boolean)) {
          perKey[key] = elapsed;
          return;
        }
        if (elapsed >= deadlineMs) {
          perKey[key] = null;
          return;
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }),
  );
  const times = Object.values(perKey);
  const done = times.filter((t): t is number => t !== null);
  return {
    perKey,
    maxMs: done.length === times.length ? Math.max(0, ...done) : null,
    buckets: {
      within1s: done.filter((t) => t <= 1000).length,
      within5s: done.filter((t) => t <= 5000).length,
      within60s: done.filter((t) => t <= 60_000).length,
      never: times.length - done.length,
    },
  };
}

async function agrees(target: Target, key: string, final: FinalState): Promise<boolean> {
  try {
    const res = await target.fetch(`/products/${key}`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (res.status === 404) {
      return !final.present;
    }
    if (res.status !== 200 || !final.present) {
      return false;
    }
    const body = JSON.parse(text) as {
      version?: unknown;
      createdAt?: unknown;
      rating?: { count?: unknown };
    };
    const createdAt = typeof body.createdAt === "string" ? Date.parse(body.createdAt) : Number.NaN;
    const reviewsAgree =
      final.reviewCount === undefined || body.rating?.count === final.reviewCount;
    // pg and the Worker may round the same timestamptz differently by a millisecond.
    return (
      body.version === final.version && Math.abs(createdAt - final.createdAt) <= 2 && reviewsAgree
    );
  } catch {
    return false;
  }
}
