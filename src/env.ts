/**
 * The Worker's environment, validated once at the boundary. `Env` (what Cloudflare passes in) and
 * `Config` (what the code uses) are both derived from one zod schema; nothing else reads `env`.
 *
 * @module
 */
import { defaultCacheConfig as cacheDefaults } from "lease-cache";
import * as z from "zod/mini";

/** Empty strings count as "not set", so `FOO = ""` in wrangler.toml falls back to the default. */
const unsetIfEmpty = (v: unknown) => (v === "" ? undefined : v);

/** A positive integer setting given as a string (Worker vars are strings). */
const intSetting = (defaultValue: number, min = 1, max = 86_400_000) =>
  preprocess(
    unsetIfEmpty,
    z._default(
      z.pipe(
        z.pipe(z.string().check(z.regex(/^\d+$/, "must be a whole number")), z.transform(Number)),
        z.int().check(z.minimum(min), z.maximum(max)),
      ),
      defaultValue,
    ),
  );

/** `z.preprocess` of classic zod: `fn` runs on the raw value before `schema` parses it. */
function preprocess<S extends z.ZodMiniType>(fn: (value: unknown) => unknown, schema: S) {
  return z.pipe(z.transform(fn), schema);
}

const secret = z.string().check(z.minLength(1, "is missing"));
const url = z.url({ protocol: /^https?$/, error: "must be a URL" });

/** Default of `ABSENT_READS_PER_MINUTE` (the contract's). */
export const ABSENT_READS_PER_MINUTE_DEFAULT = 60;

/**
 * Every variable and secret the Worker reads, with its default. Secrets have no default: a missing
 * one is a configuration error answered with a `500` that names it (never its value).
 */
export const envSchema = z
  .object({
    /** Postgres connection string (secret). */
    DATABASE_URL: secret,
    /** Upstash REST endpoint (secret). */
    UPSTASH_REDIS_REST_URL: z.pipe(secret, url),
    /** Upstash REST token (secret). */
    UPSTASH_REDIS_REST_TOKEN: secret,
    /** Bearer token for writes (secret). */
    API_TOKEN: secret,
    /** Lifetime of a cached hit, in seconds. @default the cache's `ttlSeconds` (300) */
    CACHE_TTL_SECONDS: intSetting(cacheDefaults.ttlSeconds),
    /** Extra seconds a value may be served stale while it is refreshed. @default the cache's `staleSeconds` (60) */
    STALE_TTL_SECONDS: intSetting(cacheDefaults.staleSeconds, 0),
    /** Lifetime of a cached miss, in seconds. @default the cache's `negativeTtlSeconds` (30) */
    NEGATIVE_TTL_SECONDS: intSetting(cacheDefaults.negativeTtlSeconds),
    /** Lifetime of a fill lock, in seconds. @default the cache's `lockTtlSeconds` (5) */
    LOCK_TTL_SECONDS: intSetting(cacheDefaults.lockTtlSeconds),
    /** Timeout of each Redis call, in ms. @default the cache's `redisTimeoutMs` (150) */
    REDIS_TIMEOUT_MS: intSetting(cacheDefaults.redisTimeoutMs),
    /** Timeout of each Postgres query, in ms. @default 3000 */
    DB_TIMEOUT_MS: intSetting(3000),
    /** Writes allowed per client and window. @default 60 */
    RATE_LIMIT_WRITES: intSetting(60),
    /** Rate-limit window, in seconds. @default 60 */
    RATE_LIMIT_WINDOW_SECONDS: intSetting(60),
    /** Time the rate limiter may take before the write proceeds (fail-open), in ms. @default 200 */
    RATE_LIMIT_TIMEOUT_MS: intSetting(200),
    /** Allowed browser origins, comma-separated; `*` allows any. @default "" (none) */
    CORS_ORIGINS: preprocess((v) => v ?? "", z.string()),
    /** First part of every Redis key (per deployment or test run). @default "v1" */
    CACHE_KEY_PREFIX: preprocess(
      unsetIfEmpty,
      z._default(
        z
          .string()
          .check(z.regex(/^[A-Za-z0-9_:.-]{1,64}$/, "must be 1-64 letters, digits, _ : . or -")),
        "v1",
      ),
    ),
    /**
     * JWKS of the identity provider whose JWTs are user tokens; unset: user tokens are refused.
     * @default unset
     */
    JWT_JWKS_URL: preprocess(unsetIfEmpty, z.optional(url)),
    /** Required `iss` of user tokens (with `JWT_JWKS_URL`). @default unset */
    JWT_ISSUER: preprocess(unsetIfEmpty, z.optional(z.string())),
    /** Required `aud` (one of) of user tokens (with `JWT_JWKS_URL`). @default unset */
    JWT_AUDIENCE: preprocess(unsetIfEmpty, z.optional(z.string())),
    /**
     * Reads per client and minute that may reach Postgres and find nothing (rule 7).
     * @default ABSENT_READS_PER_MINUTE_DEFAULT (60)
     */
    ABSENT_READS_PER_MINUTE: intSetting(ABSENT_READS_PER_MINUTE_DEFAULT),
    /**
     * Where cache reads run: `strong` at the Redis primary; `nearest` hits from the nearest read
     * region (rule 8). @default "strong"
     */
    READ_CONSISTENCY: preprocess(
      unsetIfEmpty,
      z._default(z.enum(["strong", "nearest"], { error: "must be strong or nearest" }), "strong"),
    ),
    /** A Postgres read replica (secret); loads read it when a revision proves it recent. @default unset */
    DATABASE_REPLICA_URL: preprocess(unsetIfEmpty, z.optional(secret)),
    /** `host:port` of the local Neon-protocol server; unset in production. @default unset */
    NEON_LOCAL_PROXY: preprocess(
      unsetIfEmpty,
      z.optional(z.string().check(z.regex(/^[A-Za-z0-9.[\]:-]+:\d+$/, "must be host:port"))),
    ),
  })
  .check(
    z.superRefine((env, ctx) => {
      // A JWKS without the issuer and audience to check would accept any token it can verify.
      if (env.JWT_JWKS_URL !== undefined) {
        for (const name of ["JWT_ISSUER", "JWT_AUDIENCE"] as const) {
          if (env[name] === undefined) {
            ctx.addIssue({ code: "custom", path: [name], message: "is missing", input: undefined });
          }
        }
      }
    }),
  );

/** The bindings as Cloudflare passes them (what `ExportedHandler<Env>` is typed with). */
export type Env = z.input<typeof envSchema>;

/** The validated configuration. */
export type Config = z.output<typeof envSchema>;

/** The outcome of {@link parseEnv}: the configuration, or the names of the settings at fault. */
export type EnvResult = { ok: true; config: Config } | { ok: false; problems: string[] };

// The env object is the same for every request of an isolate; validate it once per object.
const parsed = new WeakMap<object, EnvResult>();

/**
 * Validates `env`. Problems name the setting and what is wrong with it ("API_TOKEN is missing"),
 * never its value.
 */
export function parseEnv(env: unknown): EnvResult {
  const cacheable = typeof env === "object" && env !== null;
  const known = cacheable ? parsed.get(env) : undefined;
  if (known !== undefined) {
    return known;
  }
  const result = envSchema.safeParse(env ?? {});
  const outcome: EnvResult = result.success
    ? { ok: true, config: result.data }
    : {
        ok: false,
        problems: result.error.issues.map((issue) => {
          const name = issue.path.join(".") || "env";
          // zod's own messages may quote the received value; only our fixed messages are shown.
          const reason = issue.code === "invalid_type" ? "is missing" : safeReason(issue.message);
          return `${name} ${reason}`;
        }),
      };
  if (cacheable) {
    parsed.set(env, outcome);
  }
  return outcome;
}

const FIXED_REASONS = new Set([
  "is missing",
  "must be a URL",
  "must be a whole number",
  "must be 1-64 letters, digits, _ : . or -",
  "must be host:port",
  "must be strong or nearest",
]);

function safeReason(message: string): string {
  return FIXED_REASONS.has(message) ? message : "is invalid";
}
