/**
 * One recorded operation: the HTTP request, and how its answer is classified in the history
 * (`ok` / `fail` / `info`, the version and incarnation it observed or produced).
 */
import type { BookmarkedState, Completion, HistoryRecorder, Op, ProductView } from "./history";
import type { Target, TargetResponse } from "./target";

/** The operations on `/products/:id` itself. */
export type ProductOp = "read" | "put" | "patch" | "delete";

/** A bookmark a client holds: the `Bookmark` header of a write and the state that write produced. */
export type HeldBookmark = { header: string; state: BookmarkedState };

/** Bookmarks on one operation (rule 8). */
export type BookmarkIo = {
  /** Sent as the `Bookmark` request header (and recorded on the op). @default none */
  send?: HeldBookmark;
  /** Called with the `Bookmark` header of an acknowledged write, and the state it produced. */
  received?: (bookmark: HeldBookmark) => void;
};

/** What {@link send} needs. */
export type SendCtx = { recorder: HistoryRecorder; apiToken: string; opTimeoutMs?: number };

/**
 * Sends one operation and records it. `deletedCreatedAt`: for a DELETE, the incarnation it removes
 * (its tombstone's place in the order).
 */
export async function send(
  ctx: SendCtx,
  target: Target,
  proc: string,
  key: string,
  op: ProductOp,
  body?: Record<string, unknown>,
  deletedCreatedAt: number | null = null,
  bookmarks: BookmarkIo = {},
): Promise<Op> {
  const pending = ctx.recorder.invoke(proc, key, op, target.name);
  const method = { read: "GET", put: "PUT", patch: "PATCH", delete: "DELETE" }[op];
  const headers: Record<string, string> =
    op === "read"
      ? {}
      : { authorization: `Bearer ${ctx.apiToken}`, "content-type": "application/json" };
  if (bookmarks.send !== undefined) {
    headers.bookmark = bookmarks.send.header;
  }
  let outcome: Completion;
  let issued: string | null = null;
  try {
    const res = await target.fetch(`/products/${key}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(ctx.opTimeoutMs ?? 5000),
    });
    outcome = await classify(op, res, deletedCreatedAt);
    issued = res.headers.get("bookmark");
  } catch {
    // No response: a read had no effect; a write may have committed.
    outcome = {
      status: op === "read" ? "fail" : "info",
      version: null,
      createdAt: op === "delete" ? deletedCreatedAt : null,
      httpStatus: 0,
    };
  }
  const done = ctx.recorder.complete(pending, {
    ...outcome,
    ...(bookmarks.send === undefined ? {} : { bookmark: bookmarks.send.state }),
  });
  if (op !== "read" && done.status === "ok" && issued !== null && done.version !== null) {
    bookmarks.received?.({
      header: issued,
      state: { version: done.version, createdAt: done.createdAt },
    });
  }
  return done;
}

async function classify(
  op: ProductOp,
  res: TargetResponse,
  deletedCreatedAt: number | null,
): Promise<Completion> {
  const text = await res.text();
  const xCache = res.headers.get("x-cache") ?? undefined;
  const cacheDur = /(?:^|,)\s*cache;dur=([\d.]+)/.exec(res.headers.get("server-timing") ?? "")?.[1];
  const base = {
    httpStatus: res.status,
    ...(xCache === undefined ? {} : { xCache }),
    ...(cacheDur === undefined ? {} : { cacheMs: Number(cacheDur) }),
  };
  if (op === "delete") {
    if (res.status === 204) {
      return { ...base, status: "ok", version: -1, createdAt: deletedCreatedAt };
    }
    return {
      ...base,
      status: res.status >= 500 ? "info" : "fail",
      version: null,
      createdAt: deletedCreatedAt,
    };
  }
  if (op === "read" && res.status === 404) {
    return { ...base, status: "ok", version: -1, createdAt: null };
  }
  if (res.status === 200 || res.status === 201) {
    const product = parseProduct(text);
    if (product !== undefined) {
      return { ...base, status: "ok", ...product };
    }
  }
  const unknown = op !== "read" && (res.status >= 500 || res.status < 300);
  return { ...base, status: unknown ? "info" : "fail", version: null, createdAt: null };
}

function parseProduct(
  text: string,
): { version: number; createdAt: number; ratingCount?: number } | undefined {
  try {
    const view = productViewOf(JSON.parse(text));
    if (view !== undefined) {
      return { version: view.version, createdAt: view.createdAt, ratingCount: view.ratingCount };
    }
  } catch {
    // Not JSON: classified by the caller.
  }
  return undefined;
}

/**
 * A product body as the checker keeps it (id, version, incarnation, `rating.count`), or
 * `undefined` when `body` is not a product.
 */
export function productViewOf(body: unknown): ProductView | undefined {
  if (typeof body !== "object" || body === null) {
    return undefined;
  }
  const p = body as { id?: unknown; version?: unknown; createdAt?: unknown; rating?: unknown };
  const createdAt = typeof p.createdAt === "string" ? Date.parse(p.createdAt) : Number.NaN;
  const count = (p.rating as { count?: unknown } | null | undefined)?.count;
  if (typeof p.version !== "number" || !Number.isFinite(createdAt) || typeof count !== "number") {
    return undefined;
  }
  return {
    id: typeof p.id === "string" ? p.id : "",
    version: p.version,
    createdAt,
    ratingCount: count,
  };
}
