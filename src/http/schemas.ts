/**
 * Every request and response shape of the API as zod schemas. Requests are validated with them
 * (`./validation.ts`) and `/openapi.json` is generated from them (`./openapi.ts`): one description.
 *
 * @module
 */
import { z } from "zod";
import type { Product, Review } from "../db/models";
import type { ReviewList } from "../db/reviews";
import { ERROR_CODES } from "./errors";

/** The product id format (API.md): checked before any cache key is built or Postgres is touched. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Most products per page (`limit`). */
export const MAX_PAGE_LIMIT = 100;
/** Products per page when `limit` is absent. */
export const DEFAULT_PAGE_LIMIT = 20;

/** A product id. */
export const productIdSchema = z
  .string()
  .regex(ID_PATTERN)
  .meta({ description: "Chosen by the client (a SKU or slug).", example: "desk-lamp-01" });

/** Path parameters of `/products/:id` and `/products/:id/reviews`. */
export const productParamsSchema = z.strictObject({ id: productIdSchema });

/** Path parameters of `/products/:id/reviews/:reviewId`. */
export const reviewParamsSchema = z.strictObject({
  id: productIdSchema,
  reviewId: z.uuid({ error: "must be a UUID" }).meta({ description: "The review's id (a UUID)." }),
});

const name = z.string().min(1).max(200);
const description = z.string().max(5000);
const priceCents = z.int().min(0).max(1_000_000_000);
const currency = z.string().regex(/^[A-Z]{3}$/, "must be 3 upper-case letters (ISO 4217)");
const stock = z.int().min(0).max(1_000_000_000);

/** `PUT /products/:id` body: the full product; omitted optional fields take their defaults. */
export const productInputSchema = z.strictObject({
  name,
  description: description.default(""),
  priceCents,
  currency: currency.default("USD"),
  stock: stock.default(0),
});

/** `PATCH /products/:id` body: any writable fields, at least one. */
export const productPatchSchema = z
  .strictObject({
    name: name.optional(),
    description: description.optional(),
    priceCents: priceCents.optional(),
    currency: currency.optional(),
    stock: stock.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, "at least one field is required")
  .meta({ minProperties: 1, description: "At least one writable field." });

/** `POST /products/:id/reviews` body. */
export const reviewInputSchema = z.strictObject({
  rating: z.int().min(1).max(5),
  author: z.string().min(1).max(100),
  body: z.string().min(1).max(2000),
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

/** `GET /products` query: `limit` 1..100 (default 20) and an opaque `cursor`. Unknown parameters are rejected. */
export const productListQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, `must be an integer from 1 to ${MAX_PAGE_LIMIT}`)
    .transform(Number)
    .pipe(z.int().max(MAX_PAGE_LIMIT, `must be an integer from 1 to ${MAX_PAGE_LIMIT}`))
    .optional()
    .meta({ description: `Page size, 1 to ${MAX_PAGE_LIMIT}; default ${DEFAULT_PAGE_LIMIT}.` }),
  cursor: z
    .string()
    .max(200)
    .transform((value, ctx) => {
      const afterId = decodeCursor(value);
      if (afterId === undefined) {
        ctx.addIssue({ code: "custom", message: "is not a cursor returned by this API" });
        return z.NEVER;
      }
      return afterId;
    })
    .optional()
    .meta({ description: "The `nextCursor` of the previous page." }),
});

const rating = z
  .object({ count: z.int().min(0), average: z.number().nullable() })
  .meta({ description: "Aggregate over the reviews; `average` is null without reviews." });
const timestamp = z.iso.datetime();

/** A product (response). */
export const productSchema = z.object({
  id: productIdSchema,
  name,
  description,
  priceCents,
  currency,
  stock,
  version: z.int().min(1).meta({ description: "Optimistic-concurrency token; the ETag." }),
  rating,
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A review (response). */
export const reviewSchema = z.object({
  id: z.uuid(),
  productId: productIdSchema,
  rating: z.int().min(1).max(5),
  author: z.string(),
  authorId: z.string().nullable().meta({
    description: "The `sub` of the user token that posted it; `null` for the service token.",
  }),
  body: z.string(),
  createdAt: timestamp,
});

/** `GET /products/:id/reviews` (response). */
export const reviewListSchema = z.object({
  items: z.array(reviewSchema).max(50).meta({ description: "Newest first, at most 50." }),
  count: z.int().min(0),
  average: z.number().nullable(),
});

/** `GET /products` (response). */
export const productPageSchema = z.object({
  items: z.array(productSchema),
  nextCursor: z.string().nullable(),
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
