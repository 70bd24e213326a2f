/**
 * Small helpers shared by the route modules.
 *
 * @module
 */
import type { Hono } from "hono";
import type { Loaded } from "lease-cache";
import { AppError } from "../errors";
import type { AppEnv } from "../types";

/** A query result as the cache core's loader result: `undefined` is a definite "absent". */
export function loaded<T>(value: T | undefined): Loaded<T> {
  return value === undefined ? { found: false } : { found: true, value };
}

/**
 * Answers `405 method_not_allowed` with `Allow` for every other method on `path`. Register it after
 * the path's real handlers (hono tries handlers in registration order). `GET` implies `HEAD`.
 */
export function allowOnly(app: Hono<AppEnv>, path: string, methods: readonly string[]): void {
  const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  app.all(path, () => {
    throw new AppError("method_not_allowed", `allowed methods: ${allow}`, {
      headers: { Allow: allow },
    });
  });
}

/** Wall-clock ms since `started` (Workers advance the clock across I/O, which is what is timed). */
export function since(started: number): number {
  return Date.now() - started;
}
