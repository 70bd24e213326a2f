/**
 * docs/api.md's error rows about what is addressed and who asks (400 invalid_id, 401, 404, 405), each
 * with the envelope, its headers and nothing persisted. Write guards (412, 413, 415, 429) and 500
 * are in `writes.errors.test.ts`, 503 in `outage.test.ts`, the other 400s in `bad-input.test.ts`.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, inject, it } from "vitest";
import { resetFaults } from "../support/faults";
import {
  expectError,
  expectNoBackendCalls,
  expectNothingPersisted,
  newId,
  postReview,
  productBody,
  putProduct,
  redisKeysFor,
  useApi,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
const w = useApi();
afterEach(resetFaults);

describe("400 invalid_id", () => {
  const r = () => randomBytes(4).toString("hex");
  const badIds = (): [string, string][] => {
    const x = r();
    return [
      ["a lock key", `${x}:lock`],
      ["a glob", `${x}*`],
      ["65 characters", `${x}${"a".repeat(65 - x.length)}`],
      ["a NUL byte", `${x}%00`],
      ["a delimiter and an extension", `${x};.css`],
      ["a leading dash", `-${x}`],
      ["an encoded slash", `${x}%2F..`],
      ["10 KB", `${x}${"b".repeat(10_000)}`],
    ];
  };

  it.each(badIds())(
    "answers every method on /products/<%s> before touching Redis or Postgres",
    async (_label, badId) => {
      const fragment = badId.slice(0, 8);
      await expectNoBackendCalls(async () => {
        await expectError(await w.fetch(`/products/${badId}`), 400, "invalid_id");
        await expectError(await w.fetch(`/products/${badId}/reviews`), 400, "invalid_id");
        await expectError(await putProduct(w, badId), 400, "invalid_id");
        const patch = await w.fetch(`/products/${badId}`, {
          method: "PATCH",
          headers: writeHeaders(),
          body: JSON.stringify({ stock: 1 }),
        });
        await expectError(patch, 400, "invalid_id");
        const del = await w.fetch(`/products/${badId}`, {
          method: "DELETE",
          headers: writeHeaders(),
        });
        await expectError(del, 400, "invalid_id");
        await expectError(
          await postReview(w, badId, { rating: 5, author: "a", body: "b" }),
          400,
          "invalid_id",
        );
      });
      expect(await redisKeysFor(fragment)).toEqual([]);
    },
  );
});

describe("401 unauthorized", () => {
  const attempts: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["a wrong token", { authorization: "Bearer not-the-token" }],
    ["the token with a suffix", { authorization: `Bearer ${stack.apiToken}x` }],
    ["another scheme", { authorization: `Basic ${stack.apiToken}` }],
    ["an empty bearer", { authorization: "Bearer " }],
  ];

  it.each(attempts)(
    "answers a write with %s with 401 and WWW-Authenticate, before any cache or database work",
    async (_label, auth) => {
      const id = newId();
      await putProduct(w, id);
      const headers = { "content-type": "application/json", ...auth };
      await expectNothingPersisted(id, () =>
        expectNoBackendCalls(async () => {
          for (const [method, path, body] of [
            ["PUT", `/products/${id}`, productBody()],
            ["PATCH", `/products/${id}`, { stock: 1 }],
            ["DELETE", `/products/${id}`, undefined],
            ["POST", `/products/${id}/reviews`, { rating: 5, author: "a", body: "b" }],
          ] as const) {
            const res = await w.fetch(path, {
              method,
              headers,
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
            await expectError(res, 401, "unauthorized");
            expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
          }
        }),
      );
    },
  );

  it("accepts the bearer scheme in any letter case", async () => {
    const res = await putProduct(w, newId(), productBody(), {
      authorization: `bearer ${stack.apiToken}`,
    });
    expect(res.status).toBe(201);
  });
});

describe("404 not_found", () => {
  it("answers each operation on an absent product with 404 and persists nothing", async () => {
    const id = newId();
    await expectNothingPersisted(id, async () => {
      await expectError(await w.fetch(`/products/${id}`), 404, "not_found");
      await expectError(await w.fetch(`/products/${id}/reviews`), 404, "not_found");
      const patch = await w.fetch(`/products/${id}`, {
        method: "PATCH",
        headers: writeHeaders(),
        body: JSON.stringify({ stock: 1 }),
      });
      await expectError(patch, 404, "not_found");
      const del = await w.fetch(`/products/${id}`, { method: "DELETE", headers: writeHeaders() });
      await expectError(del, 404, "not_found");
      await expectError(
        await postReview(w, id, { rating: 5, author: "a", body: "b" }),
        404,
        "not_found",
      );
    });
  });

  it("answers a second DELETE of the same product with 404", async () => {
    const id = newId();
    await putProduct(w, id);
    const del = () => w.fetch(`/products/${id}`, { method: "DELETE", headers: writeHeaders() });
    expect((await del()).status).toBe(204);
    await expectError(await del(), 404, "not_found");
  });

  it.each([
    "/nope",
    "/products/x/y.css",
    "/products/x/reviews/extra/more",
    "/products/x/",
    "/products/",
    "/healthz/x",
    "/openapi.json/x",
  ])("answers the unknown route %s with 404", async (path) => {
    const res = await w.fetch(path);
    await expectError(res, 404, "not_found");
    expect(res.headers.get("X-Cache")).toBeNull();
  });
});

describe("405 method_not_allowed", () => {
  it.each([
    ["POST", "/products/x", "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"],
    ["PUT", "/products", "GET, HEAD, OPTIONS"],
    ["DELETE", "/products/x/reviews", "GET, POST, HEAD, OPTIONS"],
    ["POST", "/healthz", "GET, HEAD, OPTIONS"],
    ["PUT", "/openapi.json", "GET, HEAD, OPTIONS"],
  ])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const res = await w.fetch(path, { method, headers: writeHeaders(), body: "{}" });
    await expectError(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe(allow);
  });
});
