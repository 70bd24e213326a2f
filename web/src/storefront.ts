/**
 * `/`: the storefront. Lists products with paging, opens one (price, rating, reviews, and how the
 * cache answered: `X-Cache`, `Server-Timing`, ETag revalidation), and lets a signed-in user post
 * and delete their own reviews, shown at once thanks to the write's `Bookmark`.
 *
 * @module
 */
import {
  ApiError,
  deleteReview,
  getProduct,
  listProducts,
  listReviews,
  type Product,
  postReview,
  type ReadInfo,
  type Review,
} from "./api-client";
import { claimsOf, storedToken, storeToken } from "./token";

/** Products per page. */
const PAGE_SIZE = 10;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) {
    throw new Error(`#${id} is missing from the page`);
  }
  return found as T;
}

function say(text: string, isError = false): void {
  const message = element("message");
  message.textContent = text;
  message.classList.toggle("error", isError);
}

function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    return `${err.status} ${err.code}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function price(p: Product): string {
  return new Intl.NumberFormat("en", { style: "currency", currency: p.currency }).format(
    p.priceCents / 100,
  );
}

function ratingText(r: { count: number; average: number | null }): string {
  if (r.average === null) {
    return "no reviews yet";
  }
  return `${r.average} / 5 (${r.count} ${r.count === 1 ? "review" : "reviews"})`;
}

// --- paging ------------------------------------------------------------------------------------

/** Cursors of the pages seen so far: `cursors[n]` opens page n + 1 (`null`: the first page). */
const cursors: (string | null)[] = [null];
let pageIndex = 0;
let nextCursor: string | null = null;

async function showPage(): Promise<void> {
  const page = await listProducts(PAGE_SIZE, cursors[pageIndex] ?? null);
  nextCursor = page.nextCursor;
  const list = element("products");
  list.replaceChildren(
    ...page.items.map((p) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${p.name} — ${price(p)}`;
      button.dataset.productId = p.id;
      button.addEventListener("click", () => void open(p.id));
      item.append(button);
      return item;
    }),
  );
  if (page.items.length === 0) {
    list.textContent = "No products yet.";
  }
  element("page").textContent = `Page ${pageIndex + 1}`;
  element<HTMLButtonElement>("prev").disabled = pageIndex === 0;
  element<HTMLButtonElement>("next").disabled = nextCursor === null;
}

// --- one product -------------------------------------------------------------------------------

let openId: string | null = null;

function showReadInfo(info: ReadInfo): void {
  element("x-cache").textContent = info.xCache ?? "(none)";
  element("server-timing").textContent = info.serverTiming ?? "(none)";
  element("revalidation").textContent = info.revalidated
    ? "304 Not Modified (ETag matched, kept copy shown)"
    : `${info.status} (full response)`;
}

function reviewItem(review: Review, id: string): HTMLLIElement {
  const item = document.createElement("li");
  item.dataset.reviewId = review.id;
  const head = document.createElement("div");
  head.className = "meta";
  head.textContent = `${"★".repeat(review.rating)} by ${review.author} · ${new Date(review.createdAt).toLocaleString()}`;
  const body = document.createElement("div");
  body.textContent = review.body;
  item.append(head, body);
  const token = storedToken();
  const claims = token === null ? null : claimsOf(token);
  if (
    token !== null &&
    claims !== null &&
    (claims.productWriter || review.authorId === claims.sub)
  ) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Delete";
    remove.addEventListener("click", () => void removeReview(id, review.id, token));
    item.append(remove);
  }
  return item;
}

async function showReviews(id: string): Promise<void> {
  const { list } = await listReviews(id);
  const items = list.items.map((r) => reviewItem(r, id));
  element("reviews").replaceChildren(...items);
  if (items.length === 0) {
    element("reviews").textContent = "No reviews yet.";
  }
}

async function showProduct(id: string, fresh = false): Promise<void> {
  const { product, info } = await getProduct(id, { fresh });
  element("name").textContent = product.name;
  element("description").textContent = product.description;
  element("price").textContent = price(product);
  element("rating").textContent = ratingText(product.rating);
  element("stock").textContent = String(product.stock);
  showReadInfo(info);
}

async function open(id: string): Promise<void> {
  openId = id;
  element("detail").hidden = false;
  try {
    await Promise.all([showProduct(id), showReviews(id)]);
    say("");
  } catch (err: unknown) {
    say(describeError(err), true);
  }
}

// --- writes --------------------------------------------------------------------------------------

async function submitReview(form: HTMLFormElement): Promise<void> {
  const token = storedToken();
  if (token === null || openId === null) {
    say("Paste a user token first.", true);
    return;
  }
  const data = new FormData(form);
  try {
    await postReview(
      openId,
      {
        rating: Number(data.get("rating")),
        author: String(data.get("author") ?? ""),
        body: String(data.get("body") ?? ""),
      },
      token,
    );
    form.reset();
    say("Review posted.");
    await Promise.all([showProduct(openId, true), showReviews(openId)]);
  } catch (err: unknown) {
    say(describeError(err), true);
  }
}

async function removeReview(id: string, reviewId: string, token: string): Promise<void> {
  try {
    await deleteReview(id, reviewId, token);
    say("Review deleted.");
    await Promise.all([showProduct(id, true), showReviews(id)]);
  } catch (err: unknown) {
    say(describeError(err), true);
  }
}

// --- sign-in ---------------------------------------------------------------------------------------

function showUser(): void {
  const token = storedToken();
  const claims = token === null ? null : claimsOf(token);
  element("whoami").textContent =
    claims === null
      ? "Not signed in"
      : `Signed in as ${claims.sub}${claims.productWriter ? " (product writer)" : ""}`;
}

function wire(): void {
  element("save-token").addEventListener("click", () => {
    const value = element<HTMLInputElement>("token").value.trim();
    if (claimsOf(value) === null) {
      say("That is not a JWT.", true);
      return;
    }
    storeToken(value);
    element<HTMLInputElement>("token").value = "";
    showUser();
    if (openId !== null) {
      void showReviews(openId);
    }
  });
  element("clear-token").addEventListener("click", () => {
    storeToken(null);
    showUser();
  });
  element("prev").addEventListener("click", () => {
    pageIndex = Math.max(0, pageIndex - 1);
    void showPage().catch((err: unknown) => say(describeError(err), true));
  });
  element("next").addEventListener("click", () => {
    if (nextCursor === null) {
      return;
    }
    pageIndex += 1;
    cursors[pageIndex] = nextCursor;
    void showPage().catch((err: unknown) => say(describeError(err), true));
  });
  element("refresh").addEventListener("click", () => {
    if (openId !== null) {
      void showProduct(openId).catch((err: unknown) => say(describeError(err), true));
    }
  });
  element<HTMLFormElement>("review-form").addEventListener("submit", (event) => {
    event.preventDefault();
    void submitReview(event.currentTarget as HTMLFormElement);
  });
}

wire();
showUser();
void showPage().catch((err: unknown) => say(describeError(err), true));
