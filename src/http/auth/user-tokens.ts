/**
 * User tokens: JWTs of the identity provider named by `JWT_ISSUER`, verified with `jose` against
 * the JWKS at `JWT_JWKS_URL` (API.md, "Who may write"):
 * - RS256 or ES256 only (`alg: none` and HMAC are refused before any key is looked at);
 * - `iss` = `JWT_ISSUER`, `aud` is or contains `JWT_AUDIENCE`, `exp` required, `nbf` honoured, 60 s
 *   of clock leeway;
 * - keys are cached per isolate; a token naming an unknown `kid` refetches the JWKS at most once
 *   a minute ({@link JWKS_COOLDOWN_MS}), so a flood of forged kids costs the provider nothing.
 *
 * @module
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";

/** Signature algorithms a user token may use. */
export const USER_TOKEN_ALGORITHMS = ["RS256", "ES256"];
/** Clock leeway for `exp` and `nbf`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** Least time between two JWKS fetches (an unknown `kid` waits for it), in ms. */
export const JWKS_COOLDOWN_MS = 60_000;
/** Cached keys are refetched on use after this long, in ms. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;
/** A JWKS fetch is abandoned after this long, in ms. */
export const JWKS_TIMEOUT_MS = 3000;
/** The scope that makes a user a product writer. */
export const PRODUCT_WRITE_SCOPE = "products:write";
/** Longest accepted token, in characters (a JWT of a sane provider is far shorter). */
export const MAX_TOKEN_LENGTH = 8192;
/** Longest accepted `sub` (it becomes a review's `authorId` and a rate-limit identity). */
export const MAX_SUBJECT_LENGTH = 255;

/** A verified user. */
export type User = { kind: "user"; id: string; productWriter: boolean };

/** The identity provider's settings (all from the validated config). */
export type IdentityProviderConfig = { jwksUrl: string; issuer: string; audience: string };

/** Verifies a user token: resolves with the user or rejects with {@link UserTokenError}. */
export type UserTokenVerifier = (token: string) => Promise<User>;

/** Why a user token was not accepted. */
export class UserTokenError extends Error {
  /** `invalid`: the token is bad (401); `unavailable`: the JWKS could not be fetched (503). */
  readonly reason: "invalid" | "unavailable";

  constructor(reason: "invalid" | "unavailable", message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "UserTokenError";
    this.reason = reason;
  }
}

type KeySet = ReturnType<typeof createRemoteJWKSet>;

// One key set per JWKS URL and isolate: its cache and its cooldown must outlive the request.
const keySets = new Map<string, KeySet>();

function keySetOf(jwksUrl: string): KeySet {
  let keySet = keySets.get(jwksUrl);
  if (keySet === undefined) {
    keySet = createRemoteJWKSet(new URL(jwksUrl), {
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_MAX_AGE_MS,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
    keySets.set(jwksUrl, keySet);
  }
  return keySet;
}

/** Three base64url segments: anything else is garbage, refused without looking at any key. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose's codes for "the key set could not be had", as opposed to "the token is bad". */
const UNAVAILABLE_CODES = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

/** A verifier for the provider of `config`. No I/O happens until a token is verified. */
export function userTokenVerifier(config: IdentityProviderConfig): UserTokenVerifier {
  const keySet = keySetOf(config.jwksUrl);
  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
      throw new UserTokenError("invalid", "not a signed JWT");
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        algorithms: USER_TOKEN_ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (err: unknown) {
      throw classify(err);
    }
    return userOf(payload);
  };
}

function classify(err: unknown): UserTokenError {
  if (err instanceof errors.JOSEError && !UNAVAILABLE_CODES.has(err.code)) {
    return new UserTokenError("invalid", err.code, err);
  }
  // A fetch that failed (TypeError), timed out or returned something that is not a JWKS.
  return new UserTokenError(
    "unavailable",
    "the identity provider's keys could not be fetched",
    err,
  );
}

function userOf(payload: JWTPayload): User {
  const { sub, scope } = payload;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw new UserTokenError("invalid", "sub must be a string of 1-255 characters");
  }
  if (scope !== undefined && typeof scope !== "string") {
    throw new UserTokenError("invalid", "scope must be a space-separated string");
  }
  const scopes = (scope ?? "").split(" ");
  return { kind: "user", id: sub, productWriter: scopes.includes(PRODUCT_WRITE_SCOPE) };
}
