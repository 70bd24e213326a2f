/**
 * Bearer authentication and role checks for writes, before any cache or database work.
 *
 * The credential is first compared with `API_TOKEN` in constant time (SHA-256 of both, then a
 * full-length XOR, so neither content nor length leaks through timing); anything else is tried as
 * a user token (`../auth/user-tokens.ts`) when `JWT_JWKS_URL` is set. Failures are `401` with
 * `WWW-Authenticate: Bearer` (`error="invalid_token"` when a credential was sent); a valid user
 * without the right to the route is `403 forbidden`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { isProductWriter, type Principal, type Requirement } from "../auth/principal";
import { UserTokenError } from "../auth/user-tokens";
import { AppError } from "../errors";
import { RETRY_AFTER_UNAVAILABLE_SECONDS } from "../on-error";
import type { AppEnv } from "../types";

const encoder = new TextEncoder();

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
}

/** `true` when `given` equals `expected`, in time independent of where they differ. */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return diff === 0;
}

/** The token of an `Authorization: Bearer <token>` header, if well-formed. */
function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(header ?? "");
  return match?.[1];
}

const missing = () =>
  new AppError("unauthorized", "a bearer token is required", {
    headers: { "WWW-Authenticate": 'Bearer realm="api"' },
  });

const invalid = () =>
  new AppError("unauthorized", "the bearer token is not valid", {
    headers: { "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"' },
  });

/**
 * Authenticates the caller (`401` unless it holds `API_TOKEN` or a valid user token) and checks
 * `requirement` (`403 forbidden`). The caller is then `c.get("principal")`.
 */
export function requireAuth(requirement: Requirement): MiddlewareHandler<AppEnv> {
  return async function requireAuth(c, next) {
    const principal = await authenticate(
      c.req.header("Authorization"),
      c.get("config").API_TOKEN,
      c.get("services").userTokens,
    );
    if (requirement === "product-writer" && !isProductWriter(principal)) {
      throw new AppError("forbidden", `changing products needs the products:write scope`);
    }
    c.set("principal", principal);
    await next();
  };
}

async function authenticate(
  header: string | undefined,
  apiToken: string,
  userTokens: ((token: string) => Promise<Principal>) | undefined,
): Promise<Principal> {
  const token = bearerToken(header);
  if (token === undefined) {
    throw missing();
  }
  if (await tokensEqual(token, apiToken)) {
    return { kind: "service" };
  }
  if (userTokens === undefined) {
    throw invalid();
  }
  try {
    return await userTokens(token);
  } catch (err: unknown) {
    if (err instanceof UserTokenError && err.reason === "unavailable") {
      throw new AppError("service_unavailable", "user tokens cannot be checked now, retry later", {
        headers: { "Retry-After": String(RETRY_AFTER_UNAVAILABLE_SECONDS) },
        cause: err,
      });
    }
    throw invalid();
  }
}
