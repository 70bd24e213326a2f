/**
 * Where the harness finds the machine's Redis and Postgres: the one place of their defaults and of
 * the environment variables that override them (tests, bench and checker all read them here).
 */

/** The Redis used when `REDIS_URL` is not set. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** The admin connection used when `TEST_DATABASE_ADMIN_URL` is not set. */
export const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** `REDIS_URL`, or {@link DEFAULT_REDIS_URL} when it is unset or empty. */
export function redisUrlFromEnv(): string {
  return process.env.REDIS_URL || DEFAULT_REDIS_URL;
}

/**
 * `TEST_DATABASE_ADMIN_URL` (a role allowed to CREATE/DROP DATABASE), or {@link DEFAULT_ADMIN_URL}
 * when it is unset or empty.
 */
export function adminUrlFromEnv(): string {
  return process.env.TEST_DATABASE_ADMIN_URL || DEFAULT_ADMIN_URL;
}
