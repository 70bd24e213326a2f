/**
 * Small helpers shared by the route modules.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { GetOptions, LoadContext, Loaded } from "lease-cache";
import type { Db } from "../../db/client";
import type { Revisioned } from "../../db/revisions";
import type { Services } from "../../services";
import { type BookmarkState, issueBookmark, readBookmark } from "../bookmark";
import { AppError } from "../errors";
import type { AppEnv } from "../types";

/** A query result as the cache's loader result: `undefined` is a definite "absent". */
export function loaded<T>(value: T | undefined): Loaded<T> {
  return value === undefined ? { found: false } : { found: true, value };
}

/**
 * A loader for a versioned query: from the read replica when the cache names a revision that
 * covers every acknowledged write (`ctx.minRev`) and the replica has reached it, from the primary
 * otherwise (also when the replica fails).
 */
export function versionedLoad<T>(
  services: Pick<Services, "db" | "dbReplica">,
  query: (db: Db) => Promise<Revisioned<T | undefined>>,
): (ctx: LoadContext) => Promise<Loaded<T>> {
  return async (ctx) => {
    const { db, dbReplica } = services;
    // @mutation-point load.replica-allowed
    if (dbReplica !== undefined && ctx.minRev !== undefined) {
      const fromReplica = await query(dbReplica).catch(() => undefined);
      // @mutation-point load.replica-recent
      if (fromReplica !== undefined && fromReplica.rev >= ctx.minRev) {
        return { ...loaded(fromReplica.value), rev: fromReplica.rev, source: "replica" };
      }
    }
    const fromPrimary = await query(db);
    return { ...loaded(fromPrimary.value), rev: fromPrimary.rev, source: "primary" };
  };
}

function signingOf(c: Context<AppEnv>) {
  const config = c.get("config");
  return { secret: config.API_TOKEN, scope: config.CACHE_KEY_PREFIX };
}

/**
 * The cache options of a read from its `Bookmark` header: the bookmark's Redis position always,
 * its revision when it names the product read. `400 validation_failed` for a malformed bookmark.
 */
export async function readOptionsOf(c: Context<AppEnv>, productId?: string): Promise<GetOptions> {
  const bookmark = await readBookmark(c.req.header("Bookmark"), signingOf(c));
  if (bookmark === undefined) {
    return {};
  }
  return {
    ...(bookmark.productId === productId ? { minRev: bookmark.rev } : {}),
    ...(bookmark.syncToken === undefined ? {} : { syncToken: bookmark.syncToken }),
  };
}

/** Sets the `Bookmark` of a write that produced `state`. */
export async function setBookmark(c: Context<AppEnv>, state: BookmarkState): Promise<void> {
  c.header("Bookmark", await issueBookmark(state, signingOf(c)));
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
