/**
 * Security properties beyond single error rows: CORS from CORS_ORIGINS, cache-deception paths,
 * responses that cannot be cached by intermediaries, and error bodies that never leak internals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { resetFaults, setDbFaults } from "../support/faults";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import { closeSql, newId, productBody, putProduct, startApi, writeHeaders } from "./helpers";

const stack = inject("stack");
const SHOP = "https://shop.example";

let configured: WorkerGroup;
let unconfigured: WorkerGroup;
let wildcard: WorkerGroup;
let w: WorkerHandle;
let none: WorkerHandle;
let any: WorkerHandle;

beforeAll(async () => {
  [configured, unconfigured, wildcard] = await Promise.all([
    startApi({ CORS_ORIGINS: ` ${SHOP} , https://admin.example` }),
    startApi({ CORS_ORIGINS: "" }),
    startApi({ CORS_ORIGINS: "*" }),
  ]);
  w = configured.workers[0] as WorkerHandle;
  none = unconfigured.workers[0] as WorkerHandle;
  any = wildcard.workers[0] as WorkerHandle;
});
afterEach(resetFaults);
afterAll(async () => {
  await Promise.all([configured?.dispose(), unconfigured?.dispose(), wildcard?.dispose()]);
  await closeSql();
});

const preflight = (worker: WorkerHandle, origin: string, path = "/products/x") =>
  worker.fetch(path, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "authorization, content-type, x-evil",
    },
  });

describe("CORS", () => {
  it("answers a preflight from an allowed origin with the API's methods and an explicit header list", async () => {
    const res = await preflight(w, SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(SHOP);
    const methods = res.headers.get("Access-Control-Allow-Methods")?.split(",") ?? [];
    expect(methods).toEqual(
      expect.arrayContaining(["GET", "HEAD", "PUT", "PATCH", "DELETE", "POST"]),
    );
    expect(res.headers.get("Access-Control-Allow-Headers")).toBe(
      "Authorization,Content-Type,If-Match,If-None-Match,Bookmark",
    );
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    expect(res.headers.get("Vary")).toContain("Origin");
  });

  it("gives no Access-Control-Allow-Origin to an origin not on the list", async () => {
    const res = await preflight(w, "https://evil.example");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const get = await w.fetch("/healthz", { headers: { Origin: "https://evil.example" } });
    expect(get.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("allows no origin at all when CORS_ORIGINS is empty", async () => {
    expect((await preflight(none, SHOP)).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers * only when CORS_ORIGINS says so, and never with credentials", async () => {
    const res = await preflight(any, "https://whoever.example");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });

  it("exposes ETag, X-Cache, Server-Timing, Location, Bookmark, X-Request-Id and Retry-After on actual responses", async () => {
    const id = newId();
    await putProduct(w, id);
    const res = await w.fetch(`/products/${id}`, { headers: { Origin: SHOP } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(SHOP);
    expect(res.headers.get("Access-Control-Expose-Headers")).toBe(
      "ETag,X-Cache,Server-Timing,Location,Bookmark,X-Request-Id,Retry-After",
    );
  });
});

describe("cache deception and intermediaries", () => {
  it.each([
    "/products/x/y.css",
    "/products/x/reviews/y/z.css",
    "/products/x/.css",
    "/products.css",
  ])("answers %s with a no-store 404, never with product data", async (path) => {
    const res = await w.fetch(path);
    expect(res.status).toBe(404);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answers GET of a review path (DELETE only) with a no-store 405, never with data", async () => {
    const res = await w.fetch("/products/x/reviews/y.css");
    expect(res.status).toBe(405);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Allow")).toBe("DELETE, OPTIONS");
  });

  it("marks authenticated writes no-store and sends nosniff everywhere", async () => {
    const res = await putProduct(w, newId());
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("builds Location from the id only, whatever host headers say", async () => {
    const id = newId();
    const res = await putProduct(w, id, productBody(), {
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Proto": "http",
    });
    expect(res.headers.get("Location")).toBe(`/products/${id}`);
  });
});

describe("error bodies never leak internals", () => {
  it("answers a failing query without SQL, parameters or connection details", async () => {
    const id = newId();
    await setDbFaults({ mode: "error", errorMessage: "relation secret_table does not exist" });
    const res = await w.fetch(`/products/${id}`);
    expect(res.status).toBeGreaterThanOrEqual(500);
    const text = await res.text();
    for (const leak of ["secret_table", "select", id, stack.databaseUrl, "postgres"]) {
      expect(text.toLowerCase()).not.toContain(leak.toLowerCase());
    }
  });

  it("answers a write failure the same way", async () => {
    await setDbFaults({ mode: "error", errorMessage: "duplicate key in products_pkey" });
    const res = await w.fetch(`/products/${newId()}`, {
      method: "PUT",
      headers: writeHeaders(),
      body: JSON.stringify(productBody()),
    });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await res.text()).not.toContain("products_pkey");
  });
});
