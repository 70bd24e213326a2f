/**
 * Bad bodies and query strings (docs/api.md, "Errors" and the writable fields' rules): each
 * input is refused with the contract's status and code, and nothing reaches Postgres.
 * (Ids, tokens, sizes, content types and stale If-Match are in `products.errors.test.ts`.)
 */
import { describe, expect, it } from "vitest";
import {
  expectNothingPersisted,
  newId,
  productBody,
  putProduct,
  useApi,
  writeHeaders,
} from "./helpers";

const w = useApi();

type ErrorBody = {
  error: { code: string; message: string; details: { path: string; code: string }[] };
};

/** Sends `rawBody` as a write to a fresh (or given) product and returns the parsed error. */
async function write(
  method: "PUT" | "PATCH" | "POST",
  rawBody: string,
  id = newId(),
): Promise<{ status: number; body: ErrorBody }> {
  const path = method === "POST" ? `/products/${id}/reviews` : `/products/${id}`;
  return expectNothingPersisted(id, async () => {
    const res = await w.fetch(path, { method, headers: writeHeaders(), body: rawBody });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  });
}

describe("malformed JSON is 400 invalid_json", () => {
  it.each([
    ["a truncated object", '{"name":'],
    ["an empty body", ""],
    ["NaN", '{"name":"x","priceCents":NaN}'],
    ["a trailing comma", '{"name":"x","priceCents":1,}'],
    ["single quotes", "{'name':'x'}"],
  ])("refuses %s", async (_label, raw) => {
    const { status, body } = await write("PUT", raw);
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_json");
  });
});

describe("fields outside the schema are 400 validation_failed (mass assignment)", () => {
  it.each(["id", "version", "rating", "createdAt", "updatedAt", "isAdmin", "owner_id"])(
    "refuses a PUT that sets %s",
    async (field) => {
      const { status, body } = await write("PUT", JSON.stringify(productBody({ [field]: 1 })));
      expect(status).toBe(400);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details).toContainEqual(
        expect.objectContaining({ code: "unrecognized_keys" }),
      );
      expect(body.error.message).toContain(field);
    },
  );

  it("refuses the same on PATCH of an existing product and on a review", async () => {
    const id = newId();
    await putProduct(w, id);
    const patch = await write("PATCH", JSON.stringify({ stock: 1, version: 99 }), id);
    expect([patch.status, patch.body.error.code]).toEqual([400, "validation_failed"]);
    const review = await write(
      "POST",
      JSON.stringify({ rating: 5, author: "a", body: "b", productId: "other" }),
      id,
    );
    expect([review.status, review.body.error.code]).toEqual([400, "validation_failed"]);
  });

  it.each([
    ["__proto__", '{"name":"x","priceCents":1,"__proto__":{"isAdmin":true}}'],
    ["constructor", '{"name":"x","priceCents":1,"constructor":{"prototype":{"isAdmin":true}}}'],
  ])("refuses a %s key without polluting any prototype", async (key, raw) => {
    const { status, body } = await write("PUT", raw);
    expect(status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain(key);
    // The Worker still answers normally, and no object gained the injected property.
    const check = await w.fetch("/healthz");
    expect(((await check.json()) as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});

describe("out-of-range and mistyped values are 400 validation_failed", () => {
  const putCases: [string, string][] = [
    ["a negative price", JSON.stringify(productBody({ priceCents: -1 }))],
    ["a fractional price", JSON.stringify(productBody({ priceCents: 1.5 }))],
    ["a price as a string", JSON.stringify(productBody({ priceCents: "1e309" }))],
    ["a price that overflows to Infinity", '{"name":"x","priceCents":1e309}'],
    ["a price above 10^9", JSON.stringify(productBody({ priceCents: 1_000_000_001 }))],
    ["a null price", JSON.stringify(productBody({ priceCents: null }))],
    ["an empty name", JSON.stringify(productBody({ name: "" }))],
    ["a 201-character name", JSON.stringify(productBody({ name: "n".repeat(201) }))],
    ["a numeric name", JSON.stringify(productBody({ name: 123 }))],
    ["a missing name", JSON.stringify({ priceCents: 1 })],
    ["a lower-case currency", JSON.stringify(productBody({ currency: "eur" }))],
    ["a 4-letter currency", JSON.stringify(productBody({ currency: "EURO" }))],
    ["a negative stock", JSON.stringify(productBody({ stock: -1 }))],
    [
      "a 5001-character description",
      JSON.stringify(productBody({ description: "d".repeat(5001) })),
    ],
    ["an array body", "[]"],
    ["a string body", '"x"'],
    ["a null body", "null"],
    ["4000 levels of nesting", `{"name":${"[".repeat(4000)}${"]".repeat(4000)},"priceCents":1}`],
  ];

  it.each(putCases)("refuses a PUT with %s", async (_label, raw) => {
    const { status, body } = await write("PUT", raw);
    expect(status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.length).toBeGreaterThan(0);
  });

  it("names the field in the message", async () => {
    const { body } = await write("PUT", JSON.stringify(productBody({ priceCents: 1.5 })));
    expect(body.error.message).toBe("priceCents must be an integer");
    expect(body.error.details[0]?.path).toBe("priceCents");
  });

  it.each([
    ["an empty patch", "{}"],
    ["a null field", '{"stock":null}'],
    ["a too-long name", JSON.stringify({ name: "n".repeat(201) })],
  ])("refuses a PATCH with %s", async (_label, raw) => {
    const id = newId();
    await putProduct(w, id);
    const { status, body } = await write("PATCH", raw, id);
    expect([status, body.error.code]).toEqual([400, "validation_failed"]);
  });

  it.each([
    ["rating 0", { rating: 0, author: "a", body: "b" }],
    ["rating 6", { rating: 6, author: "a", body: "b" }],
    ["rating 4.5", { rating: 4.5, author: "a", body: "b" }],
    ["an empty author", { rating: 5, author: "", body: "b" }],
    ["a 101-character author", { rating: 5, author: "a".repeat(101), body: "b" }],
    ["an empty body", { rating: 5, author: "a", body: "" }],
    ["a 2001-character body", { rating: 5, author: "a", body: "b".repeat(2001) }],
    ["a missing rating", { author: "a", body: "b" }],
  ])("refuses a review with %s", async (_label, review) => {
    const id = newId();
    await putProduct(w, id);
    const { status, body } = await write("POST", JSON.stringify(review), id);
    expect([status, body.error.code]).toEqual([400, "validation_failed"]);
  });
});

describe("bad query parameters are 400 validation_failed", () => {
  const cursorOfBadId = btoa("a:lock").replaceAll("=", "");
  it.each([
    "limit=0",
    "limit=101",
    "limit=1000000",
    "limit=-1",
    "limit=1.5",
    "limit=abc",
    "limit=",
    "limit=1&limit=2",
    "limit=%201",
    "foo=1",
    "cursor=!!!",
    `cursor=${cursorOfBadId}`,
    `cursor=${"A".repeat(201)}`,
  ])("refuses GET /products?%s", async (query) => {
    const res = await w.fetch(`/products?${query}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("validation_failed");
    expect(res.headers.get("X-Cache")).toBeNull();
  });

  it("accepts limit=1 and limit=100", async () => {
    expect((await w.fetch("/products?limit=1")).status).toBe(200);
    expect((await w.fetch("/products?limit=100")).status).toBe(200);
  });
});
