/**
 * Bearer authentication for writes. Runs before any cache or database work and compares tokens in
 * constant time (SHA-256 of both, then a full-length XOR), so neither content nor length leaks
 * through timing.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors";
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

/** Rejects the request with `401` unless it carries `Authorization: Bearer <API_TOKEN>`. */
export function requireBearer(): MiddlewareHandler<AppEnv> {
  return async function requireBearer(c, next) {
    const token = bearerToken(c.req.header("Authorization"));
    const ok = token !== undefined && (await tokensEqual(token, c.get("config").API_TOKEN));
    if (!ok) {
      throw new AppError(
        "unauthorized",
        token === undefined ? "a bearer token is required" : "the bearer token is not valid",
        {
          headers: {
            "WWW-Authenticate":
              token === undefined
                ? 'Bearer realm="api"'
                : 'Bearer realm="api", error="invalid_token"',
          },
        },
      );
    }
    await next();
  };
}
