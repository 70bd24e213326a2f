/**
 * What both example APIs must show once installed from the tarball, through their HTTP interface
 * only: read-through (MISS, then HIT, one database read), a cached miss, a write whose invalidation
 * makes the next read load the new row, and a stampede of 50 concurrent reads that loads once.
 * Each test uses its own product, and counts database reads with the example's `GET /stats`.
 */
import { expect, it } from "vitest";

/** One HTTP exchange with an example, reduced to what the scenario checks. */
export type Exchange = {
  status: number;
  /** The `X-Cache` header: the cache's outcome status. */
  cache: string | null;
  /** The `X-Invalidation` header, set only when a write's invalidation failed. */
  invalidation: string | null;
  body: unknown;
};

/** Sends a request to the example under test. */
export type Call = (path: string, init?: { method: "PUT"; body: string }) => Promise<Exchange>;

/** Registers the scenario's tests; `call()` is read per test, after the example started. */
export function registerApiScenario(call: () => Call): void {
  const reads = async () => {
    const { body } = await call()("/stats");
    return (body as { reads: number }).reads;
  };

  it("reads through: the first read is a MISS, the second a HIT, with one database read", async () => {
    const before = await reads();
    const first = await call()("/products/teapot");
    expect(first).toMatchObject({ status: 200, cache: "miss" });
    expect(first.body).toEqual({ id: "teapot", name: "Teapot", price: 25 });
    const second = await call()("/products/teapot");
    expect(second).toMatchObject({ status: 200, cache: "hit", body: first.body });
    expect(await reads()).toBe(before + 1);
  });

  it("caches an absent product: two 404s, the second a HIT, with one database read", async () => {
    const before = await reads();
    expect(await call()("/products/no-such-product")).toMatchObject({ status: 404 });
    const second = await call()("/products/no-such-product");
    expect(second).toMatchObject({ status: 404, cache: "hit" });
    expect(await reads()).toBe(before + 1);
  });

  it("after a write and its invalidation, the next read is a MISS that returns the new row", async () => {
    expect(await call()("/products/mug")).toMatchObject({ status: 200 });
    expect(await call()("/products/mug")).toMatchObject({ status: 200, cache: "hit" });
    const written = await call()("/products/mug", {
      method: "PUT",
      body: JSON.stringify({ name: "Big mug", price: 12 }),
    });
    expect(written).toMatchObject({ status: 200, invalidation: null });
    const after = await call()("/products/mug");
    expect(after).toMatchObject({ status: 200, cache: "miss" });
    expect(after.body).toEqual({ id: "mug", name: "Big mug", price: 12 });
  });

  it("a stampede of 50 concurrent reads of an uncached product makes exactly one database read", async () => {
    const before = await reads();
    const all = await Promise.all(Array.from({ length: 50 }, () => call()("/products/kettle")));
    expect(all.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const r of all) {
      expect(r.body).toEqual({ id: "kettle", name: "Kettle", price: 40 });
    }
    expect(all.filter((r) => r.cache === "miss")).toHaveLength(1);
    expect(await reads()).toBe(before + 1);
  });
}

/** An {@link Exchange} from a fetch `Response` (the global one or Miniflare's). */
export async function toExchange(response: {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}): Promise<Exchange> {
  const text = await response.text();
  return {
    status: response.status,
    cache: response.headers.get("x-cache"),
    invalidation: response.headers.get("x-invalidation"),
    body: text === "" ? undefined : (JSON.parse(text) as unknown),
  };
}
