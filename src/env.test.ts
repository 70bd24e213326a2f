import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

const valid = {
  DATABASE_URL: "postgres://user:s3cret@db.example/app",
  UPSTASH_REDIS_REST_URL: "https://redis.example",
  UPSTASH_REDIS_REST_TOKEN: "tok3n",
  API_TOKEN: "api-t0ken",
};

describe("parseEnv", () => {
  it("applies defaults and treats empty vars as unset", () => {
    const result = parseEnv({ ...valid, CACHE_TTL_SECONDS: "", CORS_ORIGINS: "" });
    expect(result.ok && result.config).toMatchObject({
      CACHE_TTL_SECONDS: 300,
      NEGATIVE_TTL_SECONDS: 30,
      LOCK_TTL_SECONDS: 5,
      REDIS_TIMEOUT_MS: 150,
      CACHE_KEY_PREFIX: "v1",
      CORS_ORIGINS: "",
    });
    expect(result.ok && result.config.NEON_LOCAL_PROXY).toBeUndefined();
  });

  it("names every missing or invalid setting without quoting any value", () => {
    const result = parseEnv({
      ...valid,
      API_TOKEN: undefined,
      UPSTASH_REDIS_REST_URL: "not a url s3cret",
      NEGATIVE_TTL_SECONDS: "-5",
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      "UPSTASH_REDIS_REST_URL must be a URL",
      "API_TOKEN is missing",
      "NEGATIVE_TTL_SECONDS must be a whole number",
    ]);
    expect(problems.join(" ")).not.toContain("s3cret");
  });

  it("validates an env object once and returns the same result afterwards", () => {
    const env = { ...valid };
    expect(parseEnv(env)).toBe(parseEnv(env));
  });

  it("needs JWT_ISSUER and JWT_AUDIENCE with JWT_JWKS_URL, and defaults the absent-read budget", () => {
    const partial = parseEnv({ ...valid, JWT_JWKS_URL: "https://idp.example/jwks.json" });
    expect(partial.ok ? [] : partial.problems).toEqual([
      "JWT_ISSUER is missing",
      "JWT_AUDIENCE is missing",
    ]);
    const none = parseEnv(valid);
    expect(none.ok && none.config.JWT_JWKS_URL).toBeUndefined();
    expect(none.ok && none.config.ABSENT_READS_PER_MINUTE).toBe(60);
  });
});
