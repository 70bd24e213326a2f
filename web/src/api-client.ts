/**
 * The storefront's client of the API (same origin). It keeps two things between calls:
 * - the newest `Bookmark` a write answered with, sent back as a `Bookmark` request header on every
 *   read, so a user sees their own write at once (API.md rule 8);
 * - per product, the last `ETag` and body, so a refresh revalidates with `If-None-Match` and a
 *   `304` reuses the body it already has.
 *
 * @module
 */

/** A product as the API returns it. */
export type Product = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  version: number;
  rating: { count: number; average: number | null };
};

/** A review as the API returns it. */
export type Review = {
  id: string;
  productId: string;
  rating: number;
  author: string;
  authorId: string | null;
  body: string;
  createdAt: string;
};

/** A page of products. */
export type ProductPage = { items: Product[]; nextCursor: string | null };

/** A review list. */
export type ReviewList = { items: Review[]; count: number; average: number | null };

/** What a read reports besides its body. */
export type ReadInfo = {
  status: number;
  xCache: string | null;
  serverTiming: string | null;
  /** `true` when the server answered `304` and the kept body was reused. */
  revalidated: boolean;
};

/** An API error, with the envelope's code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let bookmark: string | null = null;
const etags = new Map<string, { etag: string; product: Product }>();

/** The newest bookmark held (for display and tests). */
export function currentBookmark(): string | null {
  return bookmark;
}

function readHeaders(extra: Record<string, string> = {}): Headers {
  const headers = new Headers(extra);
  if (bookmark !== null) {
    headers.set("Bookmark", bookmark);
  }
  return headers;
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string };
  };
  return new ApiError(
    res.status,
    body.error?.code ?? "unknown",
    body.error?.message ?? res.statusText,
  );
}

function infoOf(res: Response, revalidated = false): ReadInfo {
  return {
    status: res.status,
    xCache: res.headers.get("X-Cache"),
    serverTiming: res.headers.get("Server-Timing"),
    revalidated,
  };
}

/** `GET /products?limit=&cursor=`. */
export async function listProducts(limit: number, cursor: string | null): Promise<ProductPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== null) {
    query.set("cursor", cursor);
  }
  const res = await fetch(`/products?${query}`, { headers: readHeaders() });
  if (!res.ok) {
    throw await failure(res);
  }
  return (await res.json()) as ProductPage;
}

/**
 * `GET /products/:id`, revalidating with the ETag of the last answer unless `fresh`. After a
 * review write, read `fresh`: the ETag is the product's version, which a review does not change
 * although the rating in the body does.
 */
export async function getProduct(
  id: string,
  opts: { fresh?: boolean } = {},
): Promise<{ product: Product; info: ReadInfo }> {
  const kept = opts.fresh === true ? undefined : etags.get(id);
  const res = await fetch(`/products/${encodeURIComponent(id)}`, {
    headers: readHeaders(kept === undefined ? {} : { "If-None-Match": kept.etag }),
    // The browser's own cache must not answer for us: we want to see the 304 ourselves.
    cache: "no-store",
  });
  if (res.status === 304 && kept !== undefined) {
    return { product: kept.product, info: infoOf(res, true) };
  }
  if (!res.ok) {
    throw await failure(res);
  }
  const product = (await res.json()) as Product;
  const etag = res.headers.get("ETag");
  if (etag !== null) {
    etags.set(id, { etag, product });
  }
  return { product, info: infoOf(res) };
}

/** `GET /products/:id/reviews`. */
export async function listReviews(id: string): Promise<{ list: ReviewList; info: ReadInfo }> {
  const res = await fetch(`/products/${encodeURIComponent(id)}/reviews`, {
    headers: readHeaders(),
    cache: "no-store",
  });
  if (!res.ok) {
    throw await failure(res);
  }
  return { list: (await res.json()) as ReviewList, info: infoOf(res) };
}

async function write(path: string, init: RequestInit, token: string): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    throw await failure(res);
  }
  // The state this write produced: later reads send it back, so they see it.
  bookmark = res.headers.get("Bookmark") ?? bookmark;
  return res;
}

/** `POST /products/:id/reviews`. */
export async function postReview(
  id: string,
  input: { rating: number; author: string; body: string },
  token: string,
): Promise<Review> {
  const res = await write(
    `/products/${encodeURIComponent(id)}/reviews`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(input),
    },
    token,
  );
  return (await res.json()) as Review;
}

/** `DELETE /products/:id/reviews/:reviewId`. */
export async function deleteReview(id: string, reviewId: string, token: string): Promise<void> {
  await write(
    `/products/${encodeURIComponent(id)}/reviews/${encodeURIComponent(reviewId)}`,
    { method: "DELETE" },
    token,
  );
}
