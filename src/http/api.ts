/**
 * The route table: every operation of the API with its path, credential, request schemas,
 * responses and errors. It is the one description both halves use:
 * - the app mounts each operation from it (`./mount.ts`): authentication, validators and body
 *   checks are built from these entries, so what is validated is what is documented;
 * - the OpenAPI document is generated from it (`./openapi/document.ts`, at build time:
 *   `npm run openapi:generate`, checked by `test/api/openapi.test.ts`).
 *
 * Pure data plus zod schemas: no I/O, nothing that needs the OpenAPI generator at run time.
 *
 * @module
 */
import type * as z from "zod/mini";
import type { Requirement } from "./auth/principal";
import type { ErrorCode } from "./errors";
import {
  errorSchema,
  healthSchema,
  productInputSchema,
  productListQuerySchema,
  productPageSchema,
  productParamsSchema,
  productPatchSchema,
  productSchema,
  reviewInputSchema,
  reviewListSchema,
  reviewParamsSchema,
  reviewSchema,
} from "./schemas";

/** HTTP methods of operations (lower case, as OpenAPI spells them). */
export type Method = "get" | "put" | "patch" | "delete" | "post";

/** A schema documented under `components.schemas[name]`. */
export type Named = { name: string; schema: z.ZodMiniType };

/** A header of a request or response. */
export type HeaderDef = { name: string; description: string; enum?: readonly string[] };

/** What a response carries: a JSON schema, an HTML page or any JSON. */
export type ResponseBody = Named | "html" | "json";

/** One documented status of an operation. */
export type ResponseDef = {
  description: string;
  body?: ResponseBody;
  headers?: readonly HeaderDef[];
};

/** One operation of the route table. */
export type OperationDef = {
  method: Method;
  /** The Hono path (`/products/:id`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "products" | "reviews" | "service";
  /** Who may call it; absent: anyone (reads). Writes are also rate limited. */
  auth?: Requirement;
  params?: z.ZodMiniObject;
  query?: z.ZodMiniObject;
  body?: Named;
  /** Request headers the operation reads. */
  headers?: readonly HeaderDef[];
  /** Success (and 304) statuses. */
  responses: Readonly<Record<number, ResponseDef>>;
  /** The error codes it can answer, besides `internal`. */
  errors: readonly ErrorCode[];
};

/** Keeps an operation's literal types (its schemas) for the handler's typed input. */
export function defineOperation<const O extends OperationDef>(op: O): O {
  return op;
}

/** Response headers. */
export const HEADERS = {
  xCache: {
    name: "X-Cache",
    description: "How the cache answered: from Redis, loaded now, stale, or Redis unusable.",
    enum: ["HIT", "MISS", "STALE", "BYPASS"],
  },
  serverTiming: {
    name: "Server-Timing",
    description: "`cache;dur=…` and, when Postgres was queried, `db;dur=…` (ms).",
  },
  cacheControl: {
    name: "Cache-Control",
    description: "`no-cache` on cached reads, else `no-store`.",
  },
  etag: { name: "ETag", description: 'The product version as a strong ETag, e.g. `"3"`.' },
  location: { name: "Location", description: "`/products/{id}` of the created product." },
  rateLimit: {
    name: "RateLimit-Remaining",
    description: "Writes left in the window (also `RateLimit-Limit`, `RateLimit-Reset`).",
  },
  bookmark: {
    name: "Bookmark",
    description:
      "Opaque (at most 512 bytes): names the state this write produced. Send it back as the `Bookmark` request header to read that write or a newer one.",
  },
} as const satisfies Record<string, HeaderDef>;

/** Request headers. */
const IF_MATCH: HeaderDef = {
  name: "If-Match",
  description: 'Only if the product\'s current ETag matches (e.g. `"3"`); otherwise `412`.',
};
const IF_NONE_MATCH: HeaderDef = {
  name: "If-None-Match",
  description: "`304` without a body when it matches the product's ETag.",
};
const BOOKMARK: HeaderDef = {
  name: "Bookmark",
  description:
    "A write's `Bookmark`: this read returns that write's effect or a newer one (rule 8). Malformed: `400`; another deployment's: ignored.",
};

const cachedRead = [HEADERS.xCache, HEADERS.serverTiming, HEADERS.cacheControl];
const written = [HEADERS.serverTiming, HEADERS.rateLimit, HEADERS.bookmark];
const json = <S extends z.ZodMiniType>(name: string, schema: S) => ({ name, schema });

const PRODUCT = json("Product", productSchema);
const REVIEW = json("Review", reviewSchema);

/** Errors every read through the cache can answer. */
const READ_ERRORS = ["rate_limited", "service_unavailable"] as const;
/** Errors every write can answer, before its own. */
const WRITE_ERRORS = ["unauthorized", "rate_limited", "service_unavailable"] as const;
/** Errors of a write with a JSON body. */
const BODY_ERRORS = [
  "validation_failed",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
] as const;

/** `GET /products` */
export const listProductsOp = defineOperation({
  method: "get",
  path: "/products",
  operationId: "listProducts",
  summary: "A page of products, ordered by id",
  tag: "products",
  query: productListQuerySchema,
  headers: [BOOKMARK],
  responses: {
    200: {
      description: "A page",
      body: json("ProductPage", productPageSchema),
      headers: cachedRead,
    },
  },
  errors: ["validation_failed", ...READ_ERRORS],
});

/** `GET /products/:id` */
export const getProductOp = defineOperation({
  method: "get",
  path: "/products/:id",
  operationId: "getProduct",
  summary: "A product with its rating",
  tag: "products",
  params: productParamsSchema,
  headers: [IF_NONE_MATCH, BOOKMARK],
  responses: {
    200: { description: "The product", body: PRODUCT, headers: [...cachedRead, HEADERS.etag] },
    304: { description: "Not modified (If-None-Match matched)", headers: [HEADERS.etag] },
  },
  errors: ["invalid_id", "validation_failed", "not_found", ...READ_ERRORS],
});

/** `PUT /products/:id` */
export const putProductOp = defineOperation({
  method: "put",
  path: "/products/:id",
  operationId: "putProduct",
  summary: "Create or replace a product",
  description: "Product writers only: the service token or a user token with `products:write`.",
  tag: "products",
  auth: "product-writer",
  params: productParamsSchema,
  headers: [IF_MATCH],
  body: json("ProductInput", productInputSchema),
  responses: {
    200: { description: "Replaced", body: PRODUCT, headers: [...written, HEADERS.etag] },
    201: {
      description: "Created",
      body: PRODUCT,
      headers: [...written, HEADERS.etag, HEADERS.location],
    },
  },
  errors: ["invalid_id", ...WRITE_ERRORS, "forbidden", ...BODY_ERRORS, "precondition_failed"],
});

/** `PATCH /products/:id` */
export const patchProductOp = defineOperation({
  method: "patch",
  path: "/products/:id",
  operationId: "patchProduct",
  summary: "Change some fields of a product",
  description: "Product writers only: the service token or a user token with `products:write`.",
  tag: "products",
  auth: "product-writer",
  params: productParamsSchema,
  headers: [IF_MATCH],
  body: json("ProductPatch", productPatchSchema),
  responses: {
    200: { description: "Changed", body: PRODUCT, headers: [...written, HEADERS.etag] },
  },
  errors: [
    "invalid_id",
    ...WRITE_ERRORS,
    "forbidden",
    ...BODY_ERRORS,
    "not_found",
    "precondition_failed",
  ],
});

/** `DELETE /products/:id` */
export const deleteProductOp = defineOperation({
  method: "delete",
  path: "/products/:id",
  operationId: "deleteProduct",
  summary: "Delete a product and its reviews",
  description: "Product writers only: the service token or a user token with `products:write`.",
  tag: "products",
  auth: "product-writer",
  params: productParamsSchema,
  headers: [IF_MATCH],
  responses: { 204: { description: "Deleted", headers: written } },
  errors: ["invalid_id", ...WRITE_ERRORS, "forbidden", "not_found", "precondition_failed"],
});

/** `GET /products/:id/reviews` */
export const listReviewsOp = defineOperation({
  method: "get",
  path: "/products/:id/reviews",
  operationId: "listReviews",
  summary: "The newest 50 reviews with count and average",
  tag: "reviews",
  params: productParamsSchema,
  headers: [BOOKMARK],
  responses: {
    200: {
      description: "Reviews",
      body: json("ReviewList", reviewListSchema),
      headers: cachedRead,
    },
  },
  errors: ["invalid_id", "validation_failed", "not_found", ...READ_ERRORS],
});

/** `POST /products/:id/reviews` */
export const postReviewOp = defineOperation({
  method: "post",
  path: "/products/:id/reviews",
  operationId: "postReview",
  summary: "Add a review",
  description: "Any user token or the service token; the review's `authorId` is the token's `sub`.",
  tag: "reviews",
  auth: "any",
  params: productParamsSchema,
  body: json("ReviewInput", reviewInputSchema),
  responses: { 201: { description: "Created", body: REVIEW, headers: written } },
  errors: ["invalid_id", ...WRITE_ERRORS, ...BODY_ERRORS, "not_found"],
});

/** `DELETE /products/:id/reviews/:reviewId` */
export const deleteReviewOp = defineOperation({
  method: "delete",
  path: "/products/:id/reviews/:reviewId",
  operationId: "deleteReview",
  summary: "Delete a review",
  description:
    "The review's author, a product writer, or the service token; another user's review is `403`.",
  tag: "reviews",
  auth: "any",
  params: reviewParamsSchema,
  responses: { 204: { description: "Deleted", headers: written } },
  errors: ["invalid_id", "validation_failed", ...WRITE_ERRORS, "forbidden", "not_found"],
});

/** `GET /healthz` */
export const healthOp = defineOperation({
  method: "get",
  path: "/healthz",
  operationId: "health",
  summary: "Database and Redis reachability",
  tag: "service",
  responses: {
    200: {
      description: "Database up (Redis may be down: `degraded`)",
      body: json("Health", healthSchema),
    },
    503: { description: "Database down (same body)", body: json("Health", healthSchema) },
  },
  errors: [],
});

/** `GET /openapi.json` */
export const openApiOp = defineOperation({
  method: "get",
  path: "/openapi.json",
  operationId: "openApiDocument",
  summary: "This document (OpenAPI 3.1)",
  tag: "service",
  responses: { 200: { description: "OpenAPI 3.1", body: "json" } },
  errors: [],
});

/** `GET /docs` */
export const docsOp = defineOperation({
  method: "get",
  path: "/docs",
  operationId: "apiReference",
  summary: "Interactive API reference rendered from /openapi.json",
  tag: "service",
  responses: { 200: { description: "HTML page", body: "html" } },
  errors: ["not_found"],
});

/** `GET /` */
export const storefrontOp = defineOperation({
  method: "get",
  path: "/",
  operationId: "storefront",
  summary: "A small storefront that uses this API from the browser",
  tag: "service",
  responses: { 200: { description: "HTML page", body: "html" } },
  errors: ["not_found"],
});

/** Every operation, in the order the document lists them. */
export const OPERATIONS: readonly OperationDef[] = [
  listProductsOp,
  getProductOp,
  putProductOp,
  patchProductOp,
  deleteProductOp,
  listReviewsOp,
  postReviewOp,
  deleteReviewOp,
  healthOp,
  openApiOp,
  docsOp,
  storefrontOp,
];

/** The error envelope, documented once. */
export const ERROR_COMPONENT: Named = { name: "Error", schema: errorSchema };
