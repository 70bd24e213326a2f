/**
 * What every read path of the bench implements, whatever cache it uses: a read of one product and
 * a write of it through that path's own code. Shared by the workerd host (`bench/worker.ts`) and
 * the Node host (`bench/node-host.ts`), so it uses no Workers-only or Node-only types.
 */
import type { BackgroundContext, CacheOutcome } from "lease-cache";
import type { Config } from "../../src/env";

/** The part of a product the bench looks at. */
export type ProductState = { version: number; stock: number };

/** What a path's read found. `product` is `null` for an absent product. */
export type PathRead = { status: string; product: ProductState | null; outcome?: CacheOutcome };

/** A write's change: `stock` set to a value, or (absent) only the version bumped. */
export type WriteChange = { stock?: number };

/** Hooks a scenario can put into a read's loader (the forced stale-fill race). */
export type ReadHooks = {
  /**
   * Awaited after the loader read Postgres and before it hands the state to the cache, with the
   * version it read (`null` for absent).
   */
  afterLoad?: (version: number | null) => Promise<void>;
  /** The absent-id budget's identity of this read (the API uses the client's address). @default "bench" */
  client?: string;
};

/** What a path is given per request. */
export type PathContext = {
  config: Config;
  /** The raw bindings, for bench-only settings the app's env schema does not know. */
  env: Record<string, string>;
  background: BackgroundContext;
};

/** One read path. */
export type BenchPathImpl = {
  read(ctx: PathContext, id: string, hooks: ReadHooks): Promise<PathRead>;
  /** Commits the write and applies the path's invalidation; `null` when the product is absent. */
  write(ctx: PathContext, id: string, change: WriteChange): Promise<ProductState | null>;
};

/** The state the bench reports from a product (or `null`). */
export function stateOf(product: ProductState | null | undefined): ProductState | null {
  return product == null ? null : { version: product.version, stock: product.stock };
}

/** `load` followed by the `afterLoad` hook, for loaders that return the product or `null`. */
export function hooked<T extends ProductState>(
  load: () => Promise<T | null>,
  hooks: ReadHooks,
): () => Promise<T | null> {
  const { afterLoad } = hooks;
  if (afterLoad === undefined) {
    return load;
  }
  return async () => {
    const product = await load();
    await afterLoad(product?.version ?? null);
    return product;
  };
}
