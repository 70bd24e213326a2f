/**
 * The absent-id budget (API.md rule 7) and the read-through that enforces it.
 *
 * Cached misses stop repeated probes of one id; probes of ever-new ids reach Postgres every time.
 * So each client (`CF-Connecting-IP`) may make at most `ABSENT_READS_PER_MINUTE` reads per
 * minute that reach Postgres and find nothing (a sliding log in Redis, `absent-read-log.ts`). The
 * budget is asked inside the loader, i.e. only when the cache could not answer: hits and cached
 * misses are always served, and only a not-found result is counted, so reads of existing products
 * never use up the budget. Redis unusable (error, timeout, breaker not closed): not enforced
 * (rule 4).
 *
 * A client that found nothing in this isolate within the last minute is *probing*: each of its
 * loads first reserves a place in its log (one Redis call, refused when none is left) and gives it
 * back if it found something, so concurrent probes cannot all pass one check. Every other client's
 * loads go to Postgres at once, so a miss stays one Redis round trip on the critical path, but at
 * most {@link FREE_CONCURRENT_LOADS} of them at a time per client and isolate: a burst of
 * concurrent probes from a new client reserves too. An absent read that went ahead without a
 * reservation is logged after it. So a client gets at most the budget plus
 * {@link FREE_CONCURRENT_LOADS} per isolate in any minute. (A client that spent its budget
 * through another isolate is refused here at its first reservation.)
 *
 * Coalescing: the cache shares one loader run among concurrent requests for a key in an isolate,
 * and a follower receives the leader's result *or error*. A refusal therefore names the read it
 * was made for; a request that receives another request's refusal retries with its own loader
 * (and, after {@link MAX_FOREIGN_REFUSALS}, loads around the cache), so one client's `429` never
 * becomes another client's answer.
 *
 * @module
 */
import type { Context } from "hono";
import type {
  CacheAside,
  CacheResult,
  CircuitBreaker,
  EntryRef,
  GetOptions,
  LoadContext,
  Loaded,
} from "lease-cache";
import type { Logger } from "../log";
import type { LogStanding, ReadLog, Reservation } from "./absent-read-log";
import { AppError } from "./errors";
import { clientAddressOf } from "./middleware/rate-limit";
import type { AppEnv } from "./types";

/** Most times a read retries after receiving another request's refusal before it loads alone. */
export const MAX_FOREIGN_REFUSALS = 2;

/** Clients whose budget is known to be spent, and until when (ms): refused without a Redis call. */
const spentUntil = new Map<string, number>();
/**
 * Clients that found nothing within the last window in this isolate, and until when (ms): only
 * their loads reserve (a Redis call). Everyone else's loads (nearly every client's) go ahead at
 * once, up to {@link FREE_CONCURRENT_LOADS} at a time.
 */
const probingUntil = new Map<string, number>();
/** Loads in flight without a reservation, per client. */
const freeLoads = new Map<string, number>();
/**
 * Most loads of one client that go ahead without a reservation at the same time in an isolate
 * (a page's parallel reads stay free; a burst of probes does not).
 */
export const FREE_CONCURRENT_LOADS = 8;
/** How long a client that found nothing is checked before its loads, in ms (the budget's window). */
const PROBING_WINDOW_MS = 60_000;
/** Bound on each client map, so a flood of addresses cannot grow an isolate's memory. */
const MAX_SPENT_ENTRIES = 10_000;

/** A read refused because its client is past its budget. */
export class BudgetRefusal extends Error {
  /** The read this refusal was made for (compared by identity). */
  readonly read: object;
  readonly retryAfterSeconds: number;

  constructor(read: object, retryAfterSeconds: number) {
    super("absent-read budget spent");
    this.name = "BudgetRefusal";
    this.read = read;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A load the budget let through; {@link Admission.settle} it once the load is done. */
export type Admission = {
  /**
   * `found: false` counts the read against the budget; `true` (found, or the load failed) gives
   * its reserved place back. Never rejects: a Redis problem here only costs an uncounted read.
   */
  settle(found: boolean): Promise<void>;
};

/** Per-client budget of reads that reach Postgres and find nothing. */
export type AbsentReadBudget = {
  /** Lets `read` of `client` load, or rejects with a {@link BudgetRefusal} for it. */
  admit(client: string, read: object): Promise<Admission>;
};

/** Options of {@link absentReadBudget}. */
export type AbsentReadBudgetOptions = {
  /** Each client's absent reads of the last minute, against `ABSENT_READS_PER_MINUTE`. */
  log: ReadLog;
  /** The cache's breaker: while it is not closed, Redis is treated as unusable. */
  breaker: CircuitBreaker;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
};

/** The budget over `opts.log`; every Redis problem lets the read through. */
export function absentReadBudget(opts: AbsentReadBudgetOptions): AbsentReadBudget {
  const now = opts.now ?? Date.now;
  const usable = () => opts.breaker.state === "closed";

  /** An absent read: the client is probing from now on, and spent once `standing` says so. */
  const foundNothing = (client: string, standing?: LogStanding) => {
    remember(probingUntil, client, now() + PROBING_WINDOW_MS);
    if (standing !== undefined && standing.remaining <= 0) {
      remember(spentUntil, client, standing.reset);
    }
  };

  /** A load that goes ahead unreserved (a free one, or Redis unusable); logged if it finds nothing. */
  const unreserved = (client: string, free: boolean): Admission => {
    if (free) {
      // A load whose request was cancelled never settles; the bound keeps such leaks finite.
      remember(freeLoads, client, (freeLoads.get(client) ?? 0) + 1);
    }
    return {
      async settle(found) {
        const left = (freeLoads.get(client) ?? 0) - 1;
        if (free && left > 0) {
          freeLoads.set(client, left);
        } else if (free) {
          freeLoads.delete(client);
        }
        if (found) {
          return;
        }
        foundNothing(client);
        if (!usable()) {
          return;
        }
        try {
          foundNothing(client, await opts.log.record(client));
        } catch {
          // Fail-open: an uncounted miss is what Redis trouble costs.
        }
      },
    };
  };

  return {
    async admit(client, read) {
      const until = spentUntil.get(client);
      if (until !== undefined && until > now()) {
        throw new BudgetRefusal(read, retryAfterOf(until, now()));
      }
      spentUntil.delete(client);
      const probing = probingUntil.get(client);
      if (probing !== undefined && probing <= now()) {
        probingUntil.delete(client);
      }
      if (!probingUntil.has(client) && (freeLoads.get(client) ?? 0) < FREE_CONCURRENT_LOADS) {
        return unreserved(client, true);
      }
      if (!usable()) {
        return unreserved(client, false);
      }
      let reservation: Reservation;
      try {
        reservation = await opts.log.reserve(client);
      } catch (err: unknown) {
        opts.logger.log("warn", "absent-read budget unavailable; read allowed (fail-open)", {
          error: err instanceof Error ? err.message : String(err),
        });
        return unreserved(client, false);
      }
      if (!reservation.granted) {
        remember(spentUntil, client, reservation.reset);
        throw new BudgetRefusal(read, retryAfterOf(reservation.reset, now()));
      }
      return {
        async settle(found) {
          if (!found) {
            foundNothing(client, reservation);
            return;
          }
          try {
            await opts.log.release(client, reservation.member);
          } catch {
            // A place not given back only makes the budget stricter until it leaves the window.
          }
        },
      };
    },
  };
}

function remember(map: Map<string, number>, client: string, until: number): void {
  if (map.size >= MAX_SPENT_ENTRIES) {
    map.clear();
  }
  map.set(client, until);
}

function retryAfterOf(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

/** The `429` a client past its budget gets. */
function tooManyAbsentReads(refusal: BudgetRefusal): AppError {
  return new AppError("rate_limited", "too many reads of absent products, retry later", {
    headers: { "Retry-After": String(refusal.retryAfterSeconds) },
  });
}

/**
 * `cache.get` for a read whose loader queries Postgres: `load` is run only under the client's
 * budget, and a not-found result is counted against it. A refusal of this request's own read is
 * `429 rate_limited` with `Retry-After`.
 */
export function readThrough<T>(
  c: Context<AppEnv>,
  entry: EntryRef,
  load: (ctx: LoadContext) => Promise<Loaded<T>>,
  options: GetOptions = {},
): Promise<CacheResult<T>> {
  const { cache, absentReads } = c.get("services");
  return budgetedGet({ cache, budget: absentReads }, clientAddressOf(c), entry, load, options);
}

/** What {@link budgetedGet} reads through. */
export type BudgetedGetDeps = { cache: CacheAside; budget: AbsentReadBudget };

/** {@link readThrough} without the HTTP context: `client` is the budget's identity. */
export async function budgetedGet<T>(
  deps: BudgetedGetDeps,
  client: string,
  entry: EntryRef,
  load: (ctx: LoadContext) => Promise<Loaded<T>>,
  options: GetOptions = {},
): Promise<CacheResult<T>> {
  const budgeted = async (read: object, ctx: LoadContext) => {
    const admission = await deps.budget.admit(client, read);
    let found = true;
    try {
      const result = await load(ctx);
      found = result.found;
      return result;
    } finally {
      // A failed load gives its place back, like one that found something.
      await admission.settle(found);
    }
  };
  for (let attempt = 0; ; attempt++) {
    const read = {};
    try {
      return await deps.cache.get<T>(entry, (ctx) => budgeted(read, ctx), options);
    } catch (err: unknown) {
      if (!(err instanceof BudgetRefusal)) {
        throw err;
      }
      if (err.read === read) {
        throw tooManyAbsentReads(err);
      }
      if (attempt >= MAX_FOREIGN_REFUSALS) {
        // Another client's refusal each time (it keeps leading this key's batches): load around
        // the cache, under this client's own budget, and fill nothing.
        const started = Date.now();
        // Nothing is known about the entry here: the primary it is.
        const result = await budgeted(read, { minRev: undefined }).catch((e: unknown) => {
          throw e instanceof BudgetRefusal ? tooManyAbsentReads(e) : e;
        });
        const loadMs = Date.now() - started;
        return { loaded: result, outcome: { status: "bypass", redisCalls: 0, cacheMs: 0, loadMs } };
      }
    }
  }
}
