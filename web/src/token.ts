/**
 * The pasted user token, kept for this tab only (`sessionStorage`). Its claims are decoded here
 * for display and to offer "delete" on the user's own reviews; the server verifies the token.
 *
 * @module
 */

const KEY = "storefront.token";

/** What the page shows of a token. */
export type TokenClaims = { sub: string; productWriter: boolean; expiresAt: Date | null };

/** The stored token, if any. */
export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Stores (or, with `null`, forgets) the token. */
export function storeToken(token: string | null): void {
  if (token === null) {
    sessionStorage.removeItem(KEY);
  } else {
    sessionStorage.setItem(KEY, token);
  }
}

/** The claims of a JWT, or `null` when it is not one. */
export function claimsOf(token: string): TokenClaims | null {
  const payload = token.split(".")[1];
  if (payload === undefined) {
    return null;
  }
  try {
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    const claims = JSON.parse(json) as { sub?: unknown; scope?: unknown; exp?: unknown };
    if (typeof claims.sub !== "string") {
      return null;
    }
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
    return {
      sub: claims.sub,
      productWriter: scopes.includes("products:write"),
      expiresAt: typeof claims.exp === "number" ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return null;
  }
}
