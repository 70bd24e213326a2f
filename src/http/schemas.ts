/**
 * Every request and response shape of the API as zod schemas (`zod/mini`: the same validation as
 * classic zod at a fraction of the Worker's size). Requests are validated with them
 * (`./validation.ts`, wired by the route table `./api.ts`) and the OpenAPI document is generated
 * from them (`./openapi/document.ts`): one description.
 *
 * @module
 */
import * as z from "zod/mini";
import type { Product, Review } from "../db/models";
import { PRODUCT_ID_PATTERN } from "../db/product-id";
import type { ReviewList } from "../db/reviews";
import { ERROR_CODES } from "./errors";

/** The product id format (docs/api.md): checked before any cache key is built or Postgres is touched. */
export const ID_PATTERN = PRODUCT_ID_PATTERN;

/** Most products per page (`limit`). */
export const MAX_PAGE_LIMIT = 100;
/** Products per page when `limit` is absent. */
export const DEFAULT_PAGE_LIMIT = 20;

/** Documentation of a schema (shown in the OpenAPI document). */
function doc<T extends z.ZodMiniType>(
  schema: T,
  meta: z.core.GlobalMeta & { description: string },
): T {
  z.globalRegistry.add(schema, meta);
  return schema;
}

/** A product id. */
export const productIdSchema = doc(z.string().check(z.regex(ID_PATTERN)), {
  description: "Chosen by the client (a SKU or slug).",
  example: "desk-lamp-01",
});

/** Path parameters of `/products/:id` and `/products/:id/reviews`. */
export const productParamsSchema = z.strictObject({ id: productIdSchema });

/** Path parameters of `/products/:id/reviews/:reviewId`. */
export const reviewParamsSchema = z.strictObject({
  id: productIdSchema,
  reviewId: doc(z.uuid({ error: "must be a UUID" }), { description: "The review's id (a UUID)." }),
});

const name = z.string().check(z.minLength(1), z.maxLength(200));
const description = z.string().check(z.maxLength(5000));
const priceCents = z.int().check(z.minimum(0), z.maximum(1_000_000_000));
const currency = z.string().check(z.regex(/^[A-Z]{3}$/, "must be 3 upper-case letters (ISO 4217)"));
const stock = z.int().check(z.minimum(0), z.maximum(1_000_000_000));

/** `PUT /products/:id` body: the full product; omitted optional fields take their defaults. */
export const productInputSchema = z.strictObject({
  name,
  description: z._default(description, ""),
  priceCents,
  currency: z._default(currency, "USD"),
  stock: z._default(stock, 0),
});

/** `PATCH /products/:id` body: any writable fields, at least one. */
export const productPatchSchema = doc(
  z
    .strictObject({
      name: z.optional(name),
      description: z.optional(description),
      priceCents: z.optional(priceCents),
      currency: z.optional(currency),
      stock: z.optional(stock),
    })
    .check(z.refine((patch) => Object.keys(patch).length > 0, "at least one field is required")),
  { description: "At least one writable field.", minProperties: 1 },
);

/** `POST /products/:id/reviews` body. */
export const reviewInputSchema = z.strictObject({
  rating: z.int().check(z.minimum(1), z.maximum(5)),
  author: z.string().check(z.minLength(1), z.maxLength(100)),
  body: z.string().check(z.minLength(1), z.maxLength(2000)),
});

/** The cursor is the base64url of the last id of the previous page (opaque to clients). */
export function encodeCursor(lastId: string): string {
  return btoa(lastId).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): string | undefined {
  try {
    const id = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    return ID_PATTERN.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

const limitMessage = `must be an integer from 1 to ${MAX_PAGE_LIMIT}`;

/** `GET /products` query: `limit` 1..100 (default 20) and an opaque `cursor`. Unknown parameters are rejected. */
export const productListQuerySchema = z.strictObject({
  limit: doc(
    z.optional(
      z.pipe(
        z.pipe(z.string().check(z.regex(/^[1-9][0-9]{0,2}$/, limitMessage)), z.transform(Number)),
        z.int().check(z.maximum(MAX_PAGE_LIMIT, limitMessage)),
      ),
    ),
    { description: `Page size, 1 to ${MAX_PAGE_LIMIT}; default ${DEFAULT_PAGE_LIMIT}.` },
  ),
  cursor: doc(
    z.optional(
      z.pipe(
        z.string().check(z.maxLength(200)),
        z.transform((value: string, ctx) => {
          const afterId = decodeCursor(value);
          if (afterId === undefined) {
            ctx.issues.push({
              code: "custom",
              message: "is not a cursor returned by this API",
              input: value,
            });
            return z.NEVER;
          }
          return afterId;
        }),
      ),
    ),
    { description: "The `nextCursor` of the previous page." },
  ),
});

const rating = doc(
  z.object({ count: z.int().check(z.minimum(0)), average: z.nullable(z.number()) }),
  {
    description: "Aggregate over the reviews; `average` is null without reviews.",
  },
);
const timestamp = z.iso.datetime();

/** A product (response). */
export const productSchema = z.object({
  id: productIdSchema,
  name,
  description,
  priceCents,
  currency,
  stock,
  version: doc(z.int().check(z.minimum(1)), {
    description: "Optimistic-concurrency token; the ETag.",
  }),
  rating,
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A review (response). */
export const reviewSchema = z.object({
  id: z.uuid(),
  productId: productIdSchema,
  rating: z.int().check(z.minimum(1), z.maximum(5)),
  author: z.string(),
  authorId: doc(z.nullable(z.string()), {
    description: "The `sub` of the user token that posted it; `null` for the service token.",
  }),
  body: z.string(),
  createdAt: timestamp,
});

/** `GET /products/:id/reviews` (response). */
export const reviewListSchema = z.object({
  items: doc(z.array(reviewSchema).check(z.maxLength(50)), {
    description: "Newest first, at most 50.",
  }),
  count: z.int().check(z.minimum(0)),
  average: z.nullable(z.number()),
});

/** `GET /products` (response). */
export const productPageSchema = z.object({
  items: z.array(productSchema),
  nextCursor: z.nullable(z.string()),
});

/** `GET /healthz` (response, also the body of its `503`). */
export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  db: z.enum(["ok", "down"]),
  redis: z.enum(["ok", "down"]),
});

/** The error envelope of every non-2xx response. */
export const errorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
    requestId: doc(z.string(), { description: "The response's `X-Request-Id`." }),
  }),
});

// Compile-time proof that the documented shapes are the shapes the code returns (both directions).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const proofs: [
  Same<z.output<typeof productSchema>, Product>,
  Same<z.output<typeof reviewSchema>, Review>,
  Same<z.output<typeof reviewListSchema>, ReviewList>,
] = [true, true, true];
void proofs;
