/**
 * A local identity provider for `npm run dev` and the tests: a JWKS on loopback plus a signer.
 *
 * - `GET /.well-known/jwks.json`: the public keys (counted, so tests can see refetches);
 * - `GET /.well-known/openid-configuration`: `issuer` and `jwks_uri`;
 * - `POST /token` with `{ "sub": "...", "scope"?: "...", "expiresInSeconds"?: n }`: a token for
 *   the Worker, with `iss`, `aud`, `iat` and `exp` set;
 * - `POST /sign` with `{ "claims": {...}, "alg"?: "RS256" | "ES256", "kid"?: "..." }`: signs exactly
 *   the given claims (tests forge expired, not-yet-valid or foreign-audience tokens with it);
 * - `GET /__control/stats`: `{ "jwksRequests": n }`.
 *
 * It signs whatever it is asked to: it exists for loopback development and tests only, never bind it
 * anywhere else.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWTPayload } from "jose";
import {
  createIdentityKeys,
  IDENTITY_ALGORITHMS,
  type IdentityAlgorithm,
  type IdentityKeys,
} from "./keys";

/** The audience the local provider's tokens are for, unless told otherwise. */
export const DEFAULT_AUDIENCE = "edge-cache-aside";
/** Lifetime of a token from `POST /token` or {@link IdentityProvider.token}: 12 hours. */
export const DEFAULT_TOKEN_SECONDS = 12 * 60 * 60;
/** Path of the JWKS. */
export const JWKS_PATH = "/.well-known/jwks.json";

const MAX_BODY_BYTES = 16 * 1024;

/** Options of {@link startIdentityProvider}. */
export type IdentityProviderOptions = {
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** `aud` of the tokens it issues. @default DEFAULT_AUDIENCE */
  audience?: string;
};

/** What {@link IdentityProvider.token} puts in a token. */
export type TokenRequest = {
  sub: string;
  /** Space-separated scopes, e.g. `"products:write"`. @default none */
  scope?: string;
  /** @default DEFAULT_TOKEN_SECONDS */
  expiresInSeconds?: number;
  /** @default "RS256" */
  alg?: IdentityAlgorithm;
};

/** A running provider. */
export type IdentityProvider = {
  /** Base URL, e.g. `http://127.0.0.1:PORT`; also the `iss` of its tokens (`JWT_ISSUER`). */
  issuer: string;
  /** `JWT_JWKS_URL`. */
  jwksUrl: string;
  /** `JWT_AUDIENCE`. */
  audience: string;
  /** The key pairs (sign anything, rotate). */
  keys: IdentityKeys;
  /** A valid token for the Worker. */
  token(request: TokenRequest): Promise<string>;
  /** How often the JWKS was fetched. */
  jwksRequests(): number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
};

/** Starts the provider; resolves once it listens. */
export async function startIdentityProvider(
  opts: IdentityProviderOptions = {},
): Promise<IdentityProvider> {
  const keys = await createIdentityKeys();
  const audience = opts.audience ?? DEFAULT_AUDIENCE;
  let jwksRequests = 0;
  let issuer = "";
  const token = (request: TokenRequest) => {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      iss: issuer,
      aud: audience,
      sub: request.sub,
      iat: now,
      exp: now + (request.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS),
      ...(request.scope === undefined ? {} : { scope: request.scope }),
    };
    return keys.sign(claims, { alg: request.alg ?? "RS256" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === JWKS_PATH) {
      jwksRequests++;
      sendJson(res, 200, keys.jwks(), { "cache-control": "max-age=300" });
    } else if (req.method === "GET" && path === "/.well-known/openid-configuration") {
      sendJson(res, 200, { issuer, jwks_uri: `${issuer}${JWKS_PATH}` });
    } else if (req.method === "GET" && path === "/__control/stats") {
      sendJson(res, 200, { jwksRequests });
    } else if (req.method === "POST" && path === "/token") {
      const body = await readJson(req);
      const request = tokenRequestOf(body);
      if (request === undefined) {
        sendJson(res, 400, {
          error: "expected { sub: string, scope?: string, expiresInSeconds?: number }",
        });
        return;
      }
      sendJson(res, 200, { token: await token(request) });
    } else if (req.method === "POST" && path === "/sign") {
      const body = (await readJson(req)) as { claims?: unknown; alg?: unknown; kid?: unknown };
      const alg = IDENTITY_ALGORITHMS.find((a) => a === body.alg) ?? "RS256";
      if (typeof body.claims !== "object" || body.claims === null) {
        sendJson(res, 400, { error: "expected { claims: object, alg?, kid? }" });
        return;
      }
      const kid = typeof body.kid === "string" ? body.kid : undefined;
      sendJson(res, 200, { token: await keys.sign(body.claims as JWTPayload, { alg, kid }) });
    } else {
      sendJson(res, 404, { error: "not found" });
    }
  }

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    issuer,
    jwksUrl: `${issuer}${JWKS_PATH}`,
    audience,
    keys,
    token,
    jwksRequests: () => jwksRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function tokenRequestOf(body: unknown): TokenRequest | undefined {
  if (typeof body !== "object" || body === null) {
    return undefined;
  }
  const { sub, scope, expiresInSeconds } = body as Record<string, unknown>;
  if (typeof sub !== "string" || sub === "") {
    return undefined;
  }
  if (scope !== undefined && typeof scope !== "string") {
    return undefined;
  }
  if (expiresInSeconds !== undefined && typeof expiresInSeconds !== "number") {
    return undefined;
  }
  return { sub, scope, expiresInSeconds };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
