/**
 * The pages in a real browser (Debian's Chromium via playwright-core) against the local stack:
 * the storefront's whole flow, CORS from other loopback origins, and `/docs` rendering every
 * operation from `/openapi.json` with nothing loaded from outside the Worker.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { userToken } from "../api/auth-helpers";
import { type BrowserStack, launchChromium, screenshotPath, startBrowserStack } from "./support";

const stack = inject("stack");

let otherOrigin: Server;
let allowed: string;
let refused: string;
let api: BrowserStack;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

/** A second loopback origin: a blank page from which the browser calls the API cross-origin. */
async function startOtherOrigin(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>another shop</title><p>another origin</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

const PRODUCTS = Array.from({ length: 12 }, (_, i) => ({
  id: `lamp-${String(i).padStart(2, "0")}`,
  name: `Desk lamp ${i}`,
  priceCents: 4599 + i,
  currency: "EUR",
  stock: 12,
  description: "Warm light, 3 settings",
}));

beforeAll(async () => {
  otherOrigin = await startOtherOrigin();
  const port = (otherOrigin.address() as AddressInfo).port;
  // Same server, two origins: 127.0.0.1 is allowed, localhost is not (origins differ by host).
  allowed = `http://127.0.0.1:${port}`;
  refused = `http://localhost:${port}`;
  api = await startBrowserStack({ CORS_ORIGINS: allowed });
  for (const { id, ...body } of PRODUCTS) {
    const res = await api.fetch(`/products/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
  }
  browser = await launchChromium();
  context = browser.context;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await new Promise((resolve) => otherOrigin?.close(resolve));
});

/** Hosts a page asked for, to prove nothing left this machine's Worker. */
function recordRequests(page: Page): Request[] {
  const seen: Request[] = [];
  page.on("request", (r) => seen.push(r));
  return seen;
}

describe("the storefront (GET /)", () => {
  it("lists, pages, opens a product, revalidates with its ETag, posts and deletes a review shown at once", async () => {
    const page = await context.newPage();
    const requests = recordRequests(page);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") {
        errors.push(m.text());
      }
    });
    await page.goto(`${api.url}/`);
    const items = page.getByTestId("products").locator("li");
    await expect.poll(() => items.count()).toBe(10);
    expect(await items.first().textContent()).toContain("Desk lamp 0");
    await page.screenshot({ path: await screenshotPath("storefront-list"), fullPage: true });

    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.getByTestId("page").textContent()).toBe("Page 2");
    await expect.poll(() => items.count()).toBe(2);
    await page.getByRole("button", { name: "Previous" }).click();
    await expect.poll(() => items.count()).toBe(10);

    await page.getByRole("button", { name: /Desk lamp 3 / }).click();
    await expect.poll(() => page.getByTestId("name").textContent()).toBe("Desk lamp 3");
    expect(await page.getByTestId("price").textContent()).toBe("€46.02");
    expect(await page.getByTestId("rating").textContent()).toBe("no reviews yet");
    expect(["MISS", "HIT"]).toContain(await page.getByTestId("x-cache").textContent());
    expect(await page.getByTestId("server-timing").textContent()).toMatch(/cache;dur=/);

    await page.getByRole("button", { name: "Revalidate" }).click();
    await expect
      .poll(() => page.getByTestId("revalidation").textContent())
      .toMatch(/^304 Not Modified/);
    expect(await page.getByTestId("x-cache").textContent()).toBe("HIT");

    // The write's Bookmark (issued by the Worker) is sent back on the reads after it.
    const bookmarksSent: string[] = [];
    page.on("request", (request) => {
      const sent = request.headers().bookmark;
      if (request.method() === "GET" && request.url().includes("/products/lamp-03") && sent) {
        bookmarksSent.push(sent);
      }
    });

    await page.getByLabel("User token").fill(await userToken("dev-user"));
    await page.getByRole("button", { name: "Use token" }).click();
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe("Signed in as dev-user");

    await page.getByLabel("Name").fill("Ana");
    await page.getByLabel("Review").fill("Lovely warm light");
    await page.getByRole("button", { name: "Post review" }).click();
    const reviews = page.getByTestId("reviews").locator("li");
    await expect.poll(() => reviews.count()).toBe(1);
    expect(await reviews.first().textContent()).toContain("Lovely warm light");
    await expect.poll(() => page.getByTestId("rating").textContent()).toBe("5 / 5 (1 review)");
    expect(bookmarksSent.length).toBeGreaterThanOrEqual(2);
    // The Worker's own bookmark format (`b1.<payload>.<mac>`), not something the page made up.
    expect(
      bookmarksSent.every((b) => /^b1\.[\w-]+\.[\w-]{43}$/.test(b)),
      bookmarksSent.join(),
    ).toBe(true);
    await page.screenshot({ path: await screenshotPath("storefront-product"), fullPage: true });

    await reviews.first().getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByTestId("message").textContent()).toBe("Review deleted.");
    await expect.poll(() => reviews.count()).toBe(0);
    await expect.poll(() => page.getByTestId("rating").textContent()).toBe("no reviews yet");

    const origins = new Set(requests.map((r) => new URL(r.url()).origin));
    expect([...origins]).toEqual([api.url]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it("does not offer to delete another user's review, and the API refuses it (403)", async () => {
    const ana = await userToken("ana");
    const posted = await api.fetch("/products/lamp-05/reviews", {
      method: "POST",
      headers: { authorization: `Bearer ${ana}`, "content-type": "application/json" },
      body: JSON.stringify({ rating: 3, author: "Ana", body: "Fine" }),
    });
    const review = (await posted.json()) as { id: string };
    const page = await context.newPage();
    await page.goto(`${api.url}/`);
    await page.getByRole("button", { name: /Desk lamp 5 / }).click();
    const reviews = page.getByTestId("reviews").locator("li");
    await expect.poll(() => reviews.count()).toBe(1);
    await page.getByLabel("User token").fill(await userToken("dev-user"));
    await page.getByRole("button", { name: "Use token" }).click();
    await expect.poll(() => page.getByTestId("whoami").textContent()).toBe("Signed in as dev-user");
    expect(await reviews.first().getByRole("button", { name: "Delete" }).count()).toBe(0);
    const status = await page.evaluate(
      async ([id, token]) =>
        (
          await fetch(`/products/lamp-05/reviews/${id}`, {
            method: "DELETE",
            headers: { authorization: `Bearer ${token}` },
          })
        ).status,
      [review.id, await userToken("dev-user")] as const,
    );
    expect(status).toBe(403);
    await page.close();
  }, 60_000);
});

describe("CORS from another origin", () => {
  it("lets an allowed origin read and write (preflight) with exposed headers, and blocks any other origin", async () => {
    const writer = await userToken("shop-writer", { scope: "products:write" });
    const page = await context.newPage();
    await page.goto(`${allowed}/`);
    const fromAllowed = await page.evaluate(
      async ([base, token]) => {
        const read = await fetch(`${base}/products/lamp-01`);
        const write = await fetch(`${base}/products/lamp-01`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ stock: 11 }),
        });
        return {
          read: read.status,
          xCache: read.headers.get("X-Cache"),
          etag: read.headers.get("ETag"),
          write: write.status,
          stock: ((await write.json()) as { stock: number }).stock,
        };
      },
      [api.url, writer] as const,
    );
    expect(fromAllowed).toMatchObject({ read: 200, etag: '"1"', write: 200, stock: 11 });
    expect(["MISS", "HIT"]).toContain(fromAllowed.xCache);

    await page.goto(`${refused}/`);
    const fromRefused = await page.evaluate(async (base) => {
      try {
        await fetch(`${base}/products/lamp-01`);
        return "read";
      } catch {
        return "blocked";
      }
    }, api.url);
    expect(fromRefused).toBe("blocked");
    await page.screenshot({ path: await screenshotPath("cors-other-origin") });
    await page.close();
  }, 60_000);
});

describe("the API reference (GET /docs)", () => {
  it("renders every operation of /openapi.json with assets from the Worker only", async () => {
    const page = await context.newPage();
    const requests = recordRequests(page);
    await page.goto(`${api.url}/docs`);
    const operations = page.locator(".opblock");
    await expect.poll(() => operations.count(), { timeout: 20_000 }).toBe(12);
    const text = await page.locator("#swagger-ui").textContent();
    for (const summary of [
      "Delete a review",
      "Create or replace a product",
      "A page of products",
    ]) {
      expect(text).toContain(summary);
    }
    await page.screenshot({ path: await screenshotPath("docs"), fullPage: false });
    const origins = new Set(requests.map((r) => new URL(r.url()).origin));
    expect([...origins]).toEqual([api.url]);
    await page.close();
  }, 60_000);
});

describe("pages over HTTP", () => {
  it.each(["/", "/docs"])(
    "%s is HTML with the API's headers and a same-origin-only CSP",
    async (path) => {
      const res = await api.fetch(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(res.headers.get("X-Request-Id")).toMatch(/^[\w=-]{1,64}$/);
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
      expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
      await res.body?.cancel();
    },
  );

  it("answers an unknown asset with the JSON 404 and other methods on / with 405", async () => {
    const missing = await api.fetch("/assets/nope.js");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
    const post = await api.fetch("/", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("Allow")).toBe("GET, HEAD, OPTIONS");
    await post.body?.cancel();
  });
});
