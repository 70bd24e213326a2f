/**
 * Recorded operations on collections: a product page (`GET /products?limit=&cursor=`), a new review
 * (`POST /products/:id/reviews`) and a review list (`GET /products/:id/reviews`), classified like
 * product operations (`ok` / `fail` / `info`).
 */
import type { Completion, Op, PageView, ReviewListView } from "./history";
import { productViewOf, type SendCtx } from "./operation";
import type { Target } from "./target";

/** A page's shape: how many items, after which id. */
export type PageShape = { limit: number; afterId: string };

/** The history key of a page shape. */
export function pageKey(shape: PageShape): string {
  return `page:${shape.limit}:${shape.afterId}`;
}

/**
 * The API's cursor for "after `id`" (docs/api.md calls it opaque; it is the id in base64url, and
 * the checker needs pages that start inside its own id range, since the database is shared).
 */
export function cursorAfter(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/** Reads one page and records it as a `page` operation keyed by {@link pageKey}. */
export async function sendPage(
  ctx: SendCtx,
  target: Target,
  proc: string,
  shape: PageShape,
): Promise<Op> {
  const path = `/products?limit=${shape.limit}&cursor=${cursorAfter(shape.afterId)}`;
  return record(ctx, target, proc, pageKey(shape), "page", path, {}, (status, body) => {
    const page = status === 200 ? pageViewOf(body, shape) : undefined;
    return page === undefined ? undefined : { status: "ok", version: null, createdAt: null, page };
  });
}

/** Posts one review with the bearer token; an acknowledged one carries its id and `createdAt`. */
export async function sendReview(
  ctx: SendCtx,
  target: Target,
  proc: string,
  productId: string,
  body: { rating: number; author: string; body: string },
): Promise<Op> {
  const init = {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.apiToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const path = `/products/${productId}/reviews`;
  return record(ctx, target, proc, productId, "review", path, init, (status, answer) => {
    const review = status === 201 ? reviewOf(answer) : undefined;
    return review === undefined
      ? undefined
      : { status: "ok", version: null, createdAt: null, review };
  });
}

/** Reads a product's review list; a 404 is recorded as "absent" (`version` -1). */
export async function sendReviewList(
  ctx: SendCtx,
  target: Target,
  proc: string,
  productId: string,
): Promise<Op> {
  const path = `/products/${productId}/reviews`;
  return record(ctx, target, proc, productId, "reviews", path, {}, (status, body) => {
    if (status === 404) {
      return { status: "ok", version: -1, createdAt: null };
    }
    const reviewList = status === 200 ? reviewListOf(body) : undefined;
    return reviewList === undefined
      ? undefined
      : { status: "ok", version: null, createdAt: null, reviewList };
  });
}

type Outcome = Omit<Completion, "httpStatus">;
type Parse = (status: number, body: unknown) => Outcome | undefined;

async function record(
  ctx: SendCtx,
  target: Target,
  proc: string,
  key: string,
  op: "page" | "review" | "reviews",
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  parse: Parse,
): Promise<Op> {
  const pending = ctx.recorder.invoke(proc, key, op, target.name);
  // No answer at all: a read had no effect; a review may have been stored.
  const unknown = op === "review" ? "info" : "fail";
  let outcome: Completion;
  try {
    const res = await target.fetch(path, {
      ...init,
      signal: AbortSignal.timeout(ctx.opTimeoutMs ?? 5000),
    });
    const text = await res.text();
    const xCache = res.headers.get("x-cache") ?? undefined;
    const base = { httpStatus: res.status, ...(xCache === undefined ? {} : { xCache }) };
    const parsed = parse(res.status, parseJson(text));
    // A review answered 5xx (or 2xx without a review) may have been stored; a 4xx was refused.
    const maybeApplied = op === "review" && (res.status >= 500 || res.status < 300);
    const failed: Outcome = {
      status: maybeApplied ? "info" : "fail",
      version: null,
      createdAt: null,
    };
    outcome = { ...base, ...(parsed ?? failed) };
  } catch {
    outcome = { status: unknown, version: null, createdAt: null, httpStatus: 0 };
  }
  return ctx.recorder.complete(pending, outcome);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function pageViewOf(body: unknown, shape: PageShape): PageView | undefined {
  const b = body as { items?: unknown; nextCursor?: unknown } | undefined;
  if (!Array.isArray(b?.items)) {
    return undefined;
  }
  const items = b.items.map(productViewOf);
  if (items.some((item) => item === undefined || item.id === "")) {
    return undefined;
  }
  return {
    ...shape,
    items: items.flatMap((item) => (item === undefined ? [] : [item])),
    hasMore: b.nextCursor !== null && b.nextCursor !== undefined,
  };
}

function reviewOf(body: unknown): { id: string; createdAt: number } | undefined {
  const b = body as { id?: unknown; createdAt?: unknown } | undefined;
  const createdAt = typeof b?.createdAt === "string" ? Date.parse(b.createdAt) : Number.NaN;
  return typeof b?.id === "string" && Number.isFinite(createdAt)
    ? { id: b.id, createdAt }
    : undefined;
}

function reviewListOf(body: unknown): ReviewListView | undefined {
  const b = body as { items?: unknown; count?: unknown } | undefined;
  if (!Array.isArray(b?.items) || typeof b.count !== "number") {
    return undefined;
  }
  const items = b.items as { id?: unknown; createdAt?: unknown }[];
  const times = items.map((i) => (typeof i.createdAt === "string" ? Date.parse(i.createdAt) : NaN));
  if (items.some((i) => typeof i.id !== "string") || times.some((t) => !Number.isFinite(t))) {
    return undefined;
  }
  return {
    count: b.count,
    ids: items.map((i) => String(i.id)),
    oldestCreatedAt: times.length === 0 ? null : Math.min(...times),
  };
}
