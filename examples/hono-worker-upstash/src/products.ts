/**
 * The example's "database": products in a Map, each read slowed down by `delayMs` as a real query
 * would be, and counted, so the effect of the cache is visible in `GET /stats`. It lives in the
 * isolate's memory, so every isolate has its own copy; a real app reads Postgres here.
 */

/** A product row. */
export type Product = { id: string; name: string; price: number };

/** A fake products table. */
export type ProductsDb = {
  /** The product, or `undefined` when there is none. Counted in `reads`. */
  find(id: string): Promise<Product | undefined>;
  /** Creates or replaces a product ("commits" before it resolves). Counted in `writes`. */
  save(product: Product): Promise<void>;
  /** How many queries were made. */
  stats(): { reads: number; writes: number };
};

const SEED: readonly Product[] = [
  { id: "teapot", name: "Teapot", price: 25 },
  { id: "kettle", name: "Kettle", price: 40 },
  { id: "mug", name: "Mug", price: 8 },
];

/** A fresh table with three products. @param delayMs latency of every query @default 50 */
export function createProductsDb(delayMs = 50): ProductsDb {
  const rows = new Map(SEED.map((p) => [p.id, { ...p }]));
  const counts = { reads: 0, writes: 0 };
  const latency = () => new Promise((resolve) => setTimeout(resolve, delayMs));
  return {
    async find(id) {
      counts.reads += 1;
      await latency();
      const row = rows.get(id);
      return row === undefined ? undefined : { ...row };
    },
    async save(product) {
      counts.writes += 1;
      await latency();
      rows.set(product.id, { ...product });
    },
    stats: () => ({ ...counts }),
  };
}
