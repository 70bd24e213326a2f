/**
 * The Hono environment of the app: raw bindings in, validated config and services on the context.
 *
 * @module
 */
import type { Config, Env } from "../env";
import type { Services } from "../services";
import type { Principal } from "./auth/principal";

/** What the code uses of the `Fetcher` that Workers Static Assets binds. */
export type AssetsBinding = { fetch(input: URL | string): Promise<Response> };

/** `Hono<AppEnv>`: what every middleware and route is typed with. */
export type AppEnv = {
  /** `ASSETS`: the Workers Static Assets binding (wrangler.toml `[assets]`); absent without assets. */
  Bindings: Env & { ASSETS?: AssetsBinding };
  Variables: {
    config: Config;
    services: Services;
    /** From `X-Request-Id` when sane, generated otherwise (`middleware/request-id.ts`). */
    requestId: string;
    /** The authenticated caller of a write (`middleware/auth.ts`); unset on reads. */
    principal: Principal | undefined;
  };
};
