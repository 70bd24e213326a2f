/**
 * The project's cache exactly as the API uses it: services from `buildServices` (`src/services.ts`),
 * reads through `versionedLoad` + `findProduct` under `budgetedGet` (the cache under the absent-id
 * budget, `src/http/absent-reads.ts`, as `GET /products/:id` does; every bench request is one
 * client, {@link BENCH_CLIENT}),
 * writes through `updateProduct` → `keys.effectsOf` → `invalidateAfterCommit` (as `PATCH` does: the
 * writer stores its own state). Only the HTTP layer around them (auth, rate limit, validation,
 * headers) is left out.
 */
import type { LoadContext, Loaded } from "lease-cache";
import type { Product } from "../../src/db/models";
import { findProduct, updateProduct } from "../../src/db/products";
import { budgetedGet } from "../../src/http/absent-reads";
import { versionedLoad } from "../../src/http/routes/shared";
import { invalidateAfterCommit } from "../../src/invalidation/after-commit";
import { createLogger } from "../../src/log";
import type { ProductWrite } from "../../src/resource-keys";
import { buildServices } from "../../src/services";
import type { BenchPathImpl, PathContext, ReadHooks } from "./path";
import { stateOf } from "./path";

/** The absent-id budget's client identity of every bench read (the API uses the client's address). */
export const BENCH_CLIENT = "bench";

function servicesOf(ctx: PathContext) {
  return buildServices(ctx.config, ctx.background, createLogger({ bench: "core" }));
}

/** The API's loader, with the scenario's hook after the query. */
function loaderOf(
  services: ReturnType<typeof servicesOf>,
  id: string,
  hooks: ReadHooks,
): (ctx: LoadContext) => Promise<Loaded<Product>> {
  const load = versionedLoad(services, (db) => findProduct(db, id));
  const { afterLoad } = hooks;
  if (afterLoad === undefined) {
    return load;
  }
  return async (ctx) => {
    const result = await load(ctx);
    await afterLoad(result.found ? result.value.version : null);
    return result;
  };
}

/** See the module comment. */
export const corePath: BenchPathImpl = {
  async read(ctx, id, hooks) {
    const services = servicesOf(ctx);
    const { loaded, outcome } = await budgetedGet<Product>(
      { cache: services.cache, budget: services.absentReads },
      hooks.client ?? BENCH_CLIENT,
      services.keys.product(id),
      loaderOf(services, id, hooks),
    );
    return {
      status: outcome.status,
      product: loaded.found ? stateOf(loaded.value) : null,
      outcome,
    };
  },
  async write(ctx, id, change) {
    const services = servicesOf(ctx);
    const { db, keys } = services;
    const result = await updateProduct(db, id, change, undefined, keys.outboxTarget(id));
    if (result.kind !== "ok") {
      return null;
    }
    const write: ProductWrite = {
      kind: "saved",
      id,
      rev: result.rev,
      product: result.value,
      created: false,
    };
    await invalidateAfterCommit(services, keys.effectsOf(write, result.outboxId), result.outboxId);
    return stateOf(result.value);
  },
};
