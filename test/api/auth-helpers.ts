/**
 * User tokens for the API tests: valid ones from the run's local identity provider
 * (`emulators/identity`, its URL is the `JWT_ISSUER` binding) and the bad ones an attacker sends.
 */
import { createHmac, createPublicKey, type JsonWebKey, randomBytes } from "node:crypto";
import { generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { inject } from "vitest";

const stack = inject("stack");

/** The provider's base URL (also the `iss` of its tokens). */
export function identityUrl(): string {
  const url = stack.bindings.JWT_ISSUER;
  if (url === undefined) {
    throw new Error("the test stack has no identity provider (JWT_ISSUER)");
  }
  return url;
}

/** The audience the Worker requires. */
export function audience(): string {
  return stack.bindings.JWT_AUDIENCE ?? "";
}

async function post<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${identityUrl()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  }
  return (await res.json()) as T;
}

/** A fresh user id. */
export function newUserId(prefix = "user"): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** A valid 12-hour token for `sub` (with `scope` if given), RS256 unless `alg` says ES256. */
export async function userToken(
  sub: string,
  opts: { scope?: string; alg?: "RS256" | "ES256" } = {},
): Promise<string> {
  return (await post<{ token: string }>("/token", { sub, ...opts })).token;
}

/** `Authorization` plus JSON content type for a user token. */
export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/json", ...extra };
}

/** Now, in JWT seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims a valid token would carry (override any of them). */
export function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return {
    iss: identityUrl(),
    aud: audience(),
    sub: newUserId(),
    iat: now,
    exp: now + 600,
    ...overrides,
  };
}

/**
 * Exactly `payload`, signed by the provider's own key (so only the claims can be wrong). Keys
 * set to `undefined` in `payload` are left out.
 */
export async function signedByProvider(
  payload: JWTPayload,
  opts: { alg?: "RS256" | "ES256"; kid?: string } = {},
): Promise<string> {
  return (await post<{ token: string }>("/sign", { claims: payload, ...opts })).token;
}

/** The provider's published keys. */
export async function providerJwks(): Promise<JWK[]> {
  const res = await fetch(stack.bindings.JWT_JWKS_URL ?? "");
  return ((await res.json()) as { keys: JWK[] }).keys;
}

/** How often the Workers fetched the provider's JWKS so far. */
export async function jwksRequests(): Promise<number> {
  const res = await fetch(`${identityUrl()}/__control/stats`);
  return ((await res.json()) as { jwksRequests: number }).jwksRequests;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/** `alg: none` with a signature segment (so it reaches the JWT library, not only the shape check). */
export function algNoneToken(payload: JWTPayload): string {
  const header = b64url(JSON.stringify({ alg: "none", typ: "JWT" }));
  return `${header}.${b64url(JSON.stringify(payload))}.${b64url("x")}`;
}

/**
 * The classic key-confusion attack: HS256 with the provider's RSA public key (its PEM text) as
 * the HMAC secret, naming the real key's `kid`.
 */
export async function hs256WithPublicKey(payload: JWTPayload): Promise<string> {
  const rsa = (await providerJwks()).find((k) => k.kty === "RSA");
  if (rsa === undefined) {
    throw new Error("the provider publishes no RSA key");
  }
  const pem = createPublicKey({ key: rsa as JsonWebKey, format: "jwk" })
    .export({ type: "spki", format: "pem" })
    .toString();
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: rsa.kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = createHmac("sha256", pem).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

/**
 * A well-formed RS256 token signed by a key the provider never published. `kid` defaults to a
 * fresh one (an unknown key); pass a published kid to forge a token that names the real key.
 */
export async function signedByForeignKey(payload: JWTPayload, kid?: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const ownKid = kid ?? `foreign-${randomBytes(4).toString("hex")}`;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", kid: ownKid, typ: "JWT" })
    .sign(privateKey);
}
