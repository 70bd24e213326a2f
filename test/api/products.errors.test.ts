/**
 * The rows of API.md's error table (400 invalid_id, 401, 404, 405, 412, 413, 415, 429, 500) and the
 * error rows of its endpoint table, each with the envelope, its headers and nothing persisted.
 * `503` is covered in `outage.test.ts`, the remaining `400`s in `bad-input.test.ts`.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { resetFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  closeSql,
  expectNoBackendCalls,
  expectNothingPersisted,
  newId,
  postReview,
  productBody,
  putProduct,
  redisKeysFor,
  startApi,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
let group: WorkerGroup;
let w: WorkerHandle;

beforeAll(async () => {
  group = await startApi();
  w = group.workers[0] as WorkerHandle;
});
afterEach(resetFaults);
afterAll(async () => {
  await group?.dispose();
  await closeSql();
});

/** The part of a (Miniflare) response the checks read. */
type ApiResponse = {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
};

type ErrorBody = { error: { code: string; message: string; details: unknown[] } };

async function expectError(res: ApiResponse, status: number, code: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(Array.isArray(body.error.details)).toBe(true);
  return body;
}

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
    "/products/x/reviews/extra",
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

describe("412 precondition_failed", () => {
  it("refuses PUT, PATCH and DELETE with a stale If-Match and changes nothing", async () => {
    const id = newId();
    await putProduct(w, id);
    await putProduct(w, id); // version 2
    for (const ifMatch of ['"1"', '"v1"', 'W/"2"', '"3", "4"']) {
      await expectNothingPersisted(id, async () => {
        const put = await putProduct(w, id, productBody({ stock: 99 }), { "If-Match": ifMatch });
        await expectError(put, 412, "precondition_failed");
        expect(put.headers.get("ETag")).toBeNull();
        const patch = await w.fetch(`/products/${id}`, {
          method: "PATCH",
          headers: writeHeaders({ "If-Match": ifMatch }),
          body: JSON.stringify({ stock: 99 }),
        });
        await expectError(patch, 412, "precondition_failed");
        const del = await w.fetch(`/products/${id}`, {
          method: "DELETE",
          headers: writeHeaders({ "If-Match": ifMatch }),
        });
        await expectError(del, 412, "precondition_failed");
      });
    }
    const current = await w.fetch(`/products/${id}`);
    expect(current.headers.get("ETag")).toBe('"2"');
  });

  it("refuses a PUT with If-Match on an absent product instead of creating it", async () => {
    const id = newId();
    await expectNothingPersisted(id, async () => {
      await expectError(
        await putProduct(w, id, productBody(), { "If-Match": "*" }),
        412,
        "precondition_failed",
      );
    });
  });
});

describe("413 payload_too_large", () => {
  const big = JSON.stringify(productBody({ description: "x".repeat(17 * 1024) }));

  it("refuses a body over 16 KiB sent with Content-Length", async () => {
    const id = newId();
    await expectNothingPersisted(id, async () => {
      const res = await w.fetch(`/products/${id}`, {
        method: "PUT",
        headers: writeHeaders(),
        body: big,
      });
      await expectError(res, 413, "payload_too_large");
    });
  });

  it("refuses the same body sent chunked, without Content-Length", async () => {
    const id = newId();
    await expectNothingPersisted(id, async () => {
      const res = await w.fetch(`/products/${id}`, {
        method: "PUT",
        headers: writeHeaders(),
        body: chunked(big),
        duplex: "half",
      });
      await expectError(res, 413, "payload_too_large");
    });
  });

  it("accepts a chunked body within the limit", async () => {
    const res = await w.fetch(`/products/${newId()}`, {
      method: "PUT",
      headers: writeHeaders(),
      body: chunked(JSON.stringify(productBody())),
      duplex: "half",
    });
    expect(res.status).toBe(201);
  });
});

/** A stream of 1 KiB chunks, so the request goes out with Transfer-Encoding: chunked. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + 1024));
      offset += 1024;
    },
  });
}

describe("415 unsupported_media_type", () => {
  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["form data", { "content-type": "application/x-www-form-urlencoded" }],
    ["no content type", {}],
  ])("refuses a write whose body is %s", async (_label, contentType) => {
    const id = newId();
    await expectNothingPersisted(id, async () => {
      const res = await w.fetch(`/products/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${stack.apiToken}`, ...contentType },
        body: JSON.stringify(productBody()),
      });
      await expectError(res, 415, "unsupported_media_type");
    });
  });

  it("accepts application/json with a charset parameter", async () => {
    const res = await putProduct(w, newId(), productBody(), {
      "content-type": "application/json; charset=utf-8",
    });
    expect(res.status).toBe(201);
  });
});

describe("429 rate_limited", () => {
  it("refuses writes over the per-client limit with Retry-After and limit headers", async () => {
    // Its own key prefix, so this limit counts only this test's writes.
    const limited = await startApi({
      RATE_LIMIT_WRITES: "2",
      RATE_LIMIT_WINDOW_SECONDS: "60",
      CACHE_KEY_PREFIX: `${stack.cacheKeyPrefix}rl${randomBytes(3).toString("hex")}`,
    });
    try {
      const lw = limited.workers[0] as WorkerHandle;
      const first = await putProduct(lw, newId());
      expect(first.status).toBe(201);
      expect(first.headers.get("RateLimit-Limit")).toBe("2");
      expect(first.headers.get("RateLimit-Remaining")).toBe("1");
      expect((await putProduct(lw, newId())).status).toBe(201);
      const id = newId();
      const refused = await expectNothingPersisted(id, () => putProduct(lw, id));
      await expectError(refused, 429, "rate_limited");
      const retryAfter = Number(refused.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
      // Reads are not limited.
      expect((await lw.fetch(`/products/${id}`)).status).toBe(404);
    } finally {
      await limited.dispose();
    }
  });
});

describe("500 internal", () => {
  it("names a missing setting without leaking any configured value", async () => {
    const broken = await startApi({ API_TOKEN: "", CACHE_TTL_SECONDS: "soon" });
    try {
      const res = await (broken.workers[0] as WorkerHandle).fetch("/products/x");
      const body = await expectError(res, 500, "internal");
      expect(body.error.message).toContain("API_TOKEN is missing");
      expect(body.error.message).toContain("CACHE_TTL_SECONDS must be a whole number");
      const text = JSON.stringify(body);
      for (const secret of [stack.databaseUrl, stack.upstashToken, stack.upstashUrl, "soon"]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await broken.dispose();
    }
  });
});
