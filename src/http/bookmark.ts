/**
 * Bookmarks (rule 8): every 2xx write answers `Bookmark`, an opaque string naming the state it
 * produced — the product's revision and Redis's read-your-writes position (Upstash sync token)
 * after the write's invalidation. A read that sends it back sees that write or a newer one: the
 * cache treats older entries of that product as misses, a database replica is used only when it
 * reached that revision, and a read region answers only once it replayed that far.
 *
 * Format: `b1.<base64url JSON>.<base64url HMAC-SHA-256>`, signed with a key derived from
 * `API_TOKEN` and bound to the deployment's `CACHE_KEY_PREFIX`, so a bookmark of another deployment
 * (or a forged one, which could otherwise make reads wait or skip the cache) is ignored, while one
 * that is not a bookmark at all is `400 validation_failed`.
 *
 * @module
 */
import { AppError } from "./errors";

/** What a bookmark names. */
export type BookmarkState = {
  productId: string;
  /** The product's revision after the write. */
  rev: number;
  /** Redis's read-your-writes position after the write, when the client tracks one. */
  syncToken?: string;
};

/** Longest accepted (and issued) bookmark, in bytes (the contract's limit). */
export const BOOKMARK_MAX_BYTES = 512;

const VERSION = "b1";
const SHAPE = /^b1\.([A-Za-z0-9_-]{1,600})\.([A-Za-z0-9_-]{43})$/;

type Payload = { k: string; p: string; r: number; s?: string };

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keys = new Map<string, Promise<HmacKey>>();

/** The HMAC key of `secret` (imported once per isolate). */
function hmacKey(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(`bookmark-v1:${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}

/** Issues the bookmark of `state` for the deployment named by `scope` (its key prefix). */
export async function issueBookmark(
  state: BookmarkState,
  signing: { secret: string; scope: string },
): Promise<string> {
  const payload: Payload = {
    k: signing.scope,
    p: state.productId,
    r: state.rev,
    ...(state.syncToken === undefined ? {} : { s: state.syncToken }),
  };
  const body = `${VERSION}.${toBase64Url(new TextEncoder().encode(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(signing.secret),
    new TextEncoder().encode(body),
  );
  const bookmark = `${body}.${toBase64Url(new Uint8Array(signature))}`;
  // A sync token long enough to break the limit is not worth a bookmark a read would refuse.
  return bookmark.length <= BOOKMARK_MAX_BYTES
    ? bookmark
    : issueBookmark({ productId: state.productId, rev: state.rev }, signing);
}

/**
 * Reads a `Bookmark` request header: `undefined` when there is none or it was not issued by this
 * deployment; `400 validation_failed` when it is not a bookmark at all.
 */
export async function readBookmark(
  header: string | undefined,
  signing: { secret: string; scope: string },
): Promise<BookmarkState | undefined> {
  if (header === undefined) {
    return undefined;
  }
  const parts = header.length <= BOOKMARK_MAX_BYTES ? SHAPE.exec(header) : null;
  const payload = parts === null ? undefined : parsePayload(parts[1] ?? "");
  if (parts === null || payload === undefined) {
    throw malformed();
  }
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(signing.secret),
    fromBase64Url(parts[2] ?? ""),
    new TextEncoder().encode(`${VERSION}.${parts[1]}`),
  );
  if (!valid || payload.k !== signing.scope) {
    return undefined;
  }
  return {
    productId: payload.p,
    rev: payload.r,
    ...(payload.s === undefined ? {} : { syncToken: payload.s }),
  };
}

function malformed(): AppError {
  return new AppError("validation_failed", "Bookmark is not a bookmark this API issues", {
    details: [{ path: "Bookmark", code: "invalid_format", message: "Bookmark is malformed" }],
  });
}

function parsePayload(encoded: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(
      new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(encoded)),
    );
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  const { k, p, r, s } = value as Record<string, unknown>;
  const valid =
    typeof k === "string" &&
    typeof p === "string" &&
    typeof r === "number" &&
    Number.isSafeInteger(r) &&
    r >= 0 &&
    (s === undefined || typeof s === "string");
  return valid ? { k, p, r, ...(s === undefined ? {} : { s }) } : undefined;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
