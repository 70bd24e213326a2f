/**
 * Who may write (API.md): the service token, user tokens verified against the provider's JWKS,
 * product writers by scope, review ownership, and every bad token an attacker sends, each
 * answered `401` before any cache or database work and changing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerGroup, WorkerHandle } from "../support/worker";
import {
  algNoneToken,
  audience,
  bearer,
  claims,
  hs256WithPublicKey,
  jwksRequests,
  newUserId,
  nowSeconds,
  providerJwks,
  signedByForeignKey,
  signedByProvider,
  userToken,
} from "./auth-helpers";
import {
  type ApiResponse,
  closeSql,
  expectError,
  expectNoBackendCalls,
  expectNothingPersisted,
  newId,
  postReview,
  productBody,
  putProduct,
  type Review,
  startApi,
  useApi,
  writeHeaders,
} from "./helpers";

const w = useApi();
const review = { rating: 4, author: "Ana", body: "Good" };

const postAs = (token: string, id: string, body: Record<string, unknown> = review) =>
  w.fetch(`/products/${id}/reviews`, {
    method: "POST",
    headers: bearer(token),
    body: JSON.stringify(body),
  });

const deleteAs = (token: string, id: string, reviewId: string) =>
  w.fetch(`/products/${id}/reviews/${reviewId}`, { method: "DELETE", headers: bearer(token) });

async function newProduct(): Promise<string> {
  const id = newId("auth");
  expect((await putProduct(w, id)).status).toBe(201);
  return id;
}

async function expectInvalidToken(res: ApiResponse): Promise<void> {
  await expectError(res, 401, "unauthorized");
  expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="api", error="invalid_token"');
}

describe("bad tokens", () => {
  let id: string;
  beforeAll(async () => {
    id = await newProduct();
  });

  const attacks: [string, () => Promise<string>][] = [
    ["a garbage string", async () => "not-a-jwt"],
    ["three garbage segments", async () => "eyJhbGciOi.eyJzdWIi.c2ln"],
    ["alg none", async () => algNoneToken(claims())],
    ["alg none without a signature", async () => algNoneToken(claims()).replace(/\.[^.]*$/, ".")],
    ["HS256 signed with the provider's public key", () => hs256WithPublicKey(claims())],
    ["an unknown kid", () => signedByForeignKey(claims())],
    [
      "another key claiming the provider's kid",
      async () => signedByForeignKey(claims(), (await providerJwks())[0]?.kid),
    ],
    ["a wrong iss", () => signedByProvider(claims({ iss: "https://evil.example" }))],
    ["a wrong aud", () => signedByProvider(claims({ aud: "another-api" }))],
    ["expired past the leeway", () => signedByProvider(claims({ exp: nowSeconds() - 120 }))],
    [
      "not yet valid (nbf in an hour)",
      () => signedByProvider(claims({ nbf: nowSeconds() + 3600 })),
    ],
    ["no exp", () => signedByProvider(claims({ exp: undefined }))],
    ["no sub", () => signedByProvider(claims({ sub: undefined }))],
  ];

  it.each(attacks)(
    "%s is 401 invalid_token, answered before any cache or database work",
    async (_, make) => {
      const token = await make();
      const res = await expectNothingPersisted(id, () =>
        expectNoBackendCalls(() => postAs(token, id)),
      );
      await expectInvalidToken(res);
    },
  );

  it("a missing credential is 401 with a bare Bearer challenge", async () => {
    const res = await expectNothingPersisted(id, () =>
      w.fetch(`/products/${id}/reviews`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(review),
      }),
    );
    await expectError(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="api"');
  });

  it("the same attacks on a product write are 401 too and change nothing", async () => {
    for (const [, make] of attacks) {
      const token = await make();
      const res = await expectNothingPersisted(id, () =>
        w.fetch(`/products/${id}`, {
          method: "PATCH",
          headers: bearer(token),
          body: JSON.stringify({ stock: 0 }),
        }),
      );
      await expectInvalidToken(res);
    }
  });

  it("tokens naming unknown kids refetch the JWKS at most once a minute", async () => {
    // Warm the key cache first, so every fetch after this is a refetch for an unknown kid.
    expect((await postAs(await userToken(newUserId()), id)).status).toBe(201);
    const before = await jwksRequests();
    for (let i = 0; i < 5; i++) {
      await expectInvalidToken(await postAs(await signedByForeignKey(claims()), id));
    }
    expect((await jwksRequests()) - before).toBeLessThanOrEqual(1);
  });
});

describe("valid user tokens", () => {
  it("an RS256 and an ES256 token may post; the review carries the user's sub as authorId", async () => {
    const id = await newProduct();
    for (const alg of ["RS256", "ES256"] as const) {
      const sub = newUserId();
      const res = await postAs(await userToken(sub, { alg }), id);
      expect(res.status).toBe(201);
      expect(((await res.json()) as Review).authorId).toBe(sub);
    }
  });

  it("accepts exp 30 s in the past (60 s leeway) and aud as a list containing the audience", async () => {
    const id = await newProduct();
    const late = await signedByProvider(claims({ exp: nowSeconds() - 30 }));
    expect((await postAs(late, id)).status).toBe(201);
    const listed = await signedByProvider(claims({ aud: ["other", audience()] }));
    expect((await postAs(listed, id)).status).toBe(201);
  });

  it("a review posted with the service token has authorId null", async () => {
    const id = await newProduct();
    const res = await postReview(w, id, review);
    expect(res.status).toBe(201);
    expect(((await res.json()) as Review).authorId).toBeNull();
  });

  it("a user without products:write is 403 forbidden on product writes and changes nothing", async () => {
    const id = await newProduct();
    const token = await userToken(newUserId(), { scope: "reviews:write openid" });
    for (const init of [
      { method: "PUT", body: JSON.stringify(productBody({ name: "Hijacked" })) },
      { method: "PATCH", body: JSON.stringify({ priceCents: 1 }) },
      { method: "DELETE" },
    ]) {
      const res = await expectNothingPersisted(id, () =>
        w.fetch(`/products/${id}`, { ...init, headers: bearer(token) }),
      );
      await expectError(res, 403, "forbidden");
    }
  });

  it("a product writer (scope products:write) may create, change and delete products", async () => {
    const id = newId("writer");
    const token = await userToken(newUserId(), { scope: "openid products:write" });
    const put = await w.fetch(`/products/${id}`, {
      method: "PUT",
      headers: bearer(token),
      body: JSON.stringify(productBody()),
    });
    expect(put.status).toBe(201);
    const patch = await w.fetch(`/products/${id}`, {
      method: "PATCH",
      headers: bearer(token),
      body: JSON.stringify({ stock: 3 }),
    });
    expect(patch.status).toBe(200);
    expect(
      (await w.fetch(`/products/${id}`, { method: "DELETE", headers: bearer(token) })).status,
    ).toBe(204);
  });

  it("without JWT_JWKS_URL no user token is accepted, the service token still is", async () => {
    const group: WorkerGroup = await startApi({
      JWT_JWKS_URL: "",
      JWT_ISSUER: "",
      JWT_AUDIENCE: "",
    });
    try {
      const worker = group.workers[0] as WorkerHandle;
      const id = newId("nojwt");
      expect((await putProduct(worker, id)).status).toBe(201);
      const res = await worker.fetch(`/products/${id}/reviews`, {
        method: "POST",
        headers: bearer(await userToken(newUserId())),
        body: JSON.stringify(review),
      });
      await expectInvalidToken(res);
    } finally {
      await group.dispose();
    }
  });
});

describe("DELETE /products/:id/reviews/:reviewId", () => {
  async function reviewBy(token: string, id: string): Promise<string> {
    const res = await postAs(token, id);
    expect(res.status).toBe(201);
    return ((await res.json()) as Review).id;
  }

  it("the author deletes their own review (204), another user gets 403 and changes nothing", async () => {
    const id = await newProduct();
    const ana = await userToken(newUserId("ana"));
    const bob = await userToken(newUserId("bob"));
    const reviewId = await reviewBy(ana, id);
    const refused = await expectNothingPersisted(id, () => deleteAs(bob, id, reviewId));
    await expectError(refused, 403, "forbidden");
    expect((await deleteAs(ana, id, reviewId)).status).toBe(204);
    await expectError(await deleteAs(ana, id, reviewId), 404, "not_found");
  });

  it("a product writer and the service token delete anyone's review", async () => {
    const id = await newProduct();
    const ana = await userToken(newUserId("ana"));
    const writer = await userToken(newUserId("writer"), { scope: "products:write" });
    expect((await deleteAs(writer, id, await reviewBy(ana, id))).status).toBe(204);
    const byService = await w.fetch(`/products/${id}/reviews/${await reviewBy(ana, id)}`, {
      method: "DELETE",
      headers: writeHeaders(),
    });
    expect(byService.status).toBe(204);
  });

  it("a user cannot delete a review posted with the service token (403)", async () => {
    const id = await newProduct();
    const posted = (await (await postReview(w, id, review)).json()) as Review;
    const res = await deleteAs(await userToken(newUserId()), id, posted.id);
    await expectError(res, 403, "forbidden");
  });

  it("is 404 for an absent product, an absent review, and a review of another product", async () => {
    const id = await newProduct();
    const other = await newProduct();
    const ana = await userToken(newUserId("ana"));
    const reviewId = await reviewBy(ana, id);
    const absent = "0b4f5d7e-1c2a-4d3b-8e9f-a0b1c2d3e4f5";
    await expectError(await deleteAs(ana, newId("absent"), reviewId), 404, "not_found");
    await expectError(await deleteAs(ana, id, absent), 404, "not_found");
    const wrongProduct = await expectNothingPersisted(id, () => deleteAs(ana, other, reviewId));
    await expectError(wrongProduct, 404, "not_found");
  });

  it("a reviewId that is not a UUID is 400 validation_failed, a bad product id 400 invalid_id", async () => {
    const ana = await userToken(newUserId("ana"));
    await expectError(await deleteAs(ana, "desk-lamp", "not-a-uuid"), 400, "validation_failed");
    await expectError(
      await deleteAs(ana, "bad*id", "0b4f5d7e-1c2a-4d3b-8e9f-a0b1c2d3e4f5"),
      400,
      "invalid_id",
    );
  });

  it("invalidates the rating, the review list and the product pages like a new review does", async () => {
    const id = await newProduct();
    const ana = await userToken(newUserId("ana"));
    const reviewId = await reviewBy(ana, id);
    // Fill the cache with the one-review state and check it is served from Redis.
    for (const path of [`/products/${id}`, `/products/${id}/reviews`]) {
      await w.fetch(path);
      expect((await w.fetch(path)).headers.get("X-Cache")).toBe("HIT");
    }
    expect((await deleteAs(ana, id, reviewId)).status).toBe(204);
    const product = (await (await w.fetch(`/products/${id}`)).json()) as {
      rating: { count: number };
    };
    expect(product.rating.count).toBe(0);
    const list = (await (await w.fetch(`/products/${id}/reviews`)).json()) as { count: number };
    expect(list.count).toBe(0);
  });

  it("is 405 with Allow for other methods", async () => {
    const res = await w.fetch(`/products/x/reviews/0b4f5d7e-1c2a-4d3b-8e9f-a0b1c2d3e4f5`, {
      method: "GET",
    });
    await expectError(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("DELETE, OPTIONS");
  });
});

describe("write rate limits", () => {
  let group: WorkerGroup;
  let limited: WorkerHandle;
  beforeAll(async () => {
    group = await startApi({ RATE_LIMIT_WRITES: "2" });
    limited = group.workers[0] as WorkerHandle;
  });
  afterAll(async () => {
    await group?.dispose();
    await closeSql();
  });

  it("count per user for user tokens: one user's limit does not stop another user at the same address", async () => {
    const id = newId("limit");
    expect((await putProduct(w, id)).status).toBe(201);
    const post = (token: string) =>
      limited.fetch(`/products/${id}/reviews`, {
        method: "POST",
        headers: bearer(token),
        body: JSON.stringify(review),
      });
    const ana = await userToken(newUserId("ana"));
    expect((await post(ana)).status).toBe(201);
    expect((await post(ana)).status).toBe(201);
    const third = await post(ana);
    await expectError(third, 429, "rate_limited");
    expect(Number(third.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await post(await userToken(newUserId("bob")))).status).toBe(201);
  });
});
