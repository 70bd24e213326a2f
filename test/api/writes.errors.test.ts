/**
 * docs/api.md's error rows that guard writes (412 precondition_failed, 413 payload_too_large, 415
 * unsupported_media_type, 429 rate_limited) and 500 internal for a bad configuration, each with the
 * envelope, its headers and nothing persisted.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import type { WorkerHandle } from "../support/worker";
import {
  expectError,
  expectNothingPersisted,
  newId,
  productBody,
  putProduct,
  startApi,
  useApi,
  writeHeaders,
} from "./helpers";

const stack = inject("stack");
const w = useApi();

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
