/**
 * `/openapi.json`: an OpenAPI 3.1 document generated from the zod schemas the routes validate with
 * (`./schemas.ts`) via `z.toJSONSchema`. Only the operation list below is written by hand; every
 * shape comes from the schemas, so the document cannot drift from the code.
 *
 * @module
 */
import { z } from "zod";
import { statusOf } from "./errors";
import { MAX_BODY_BYTES } from "./middleware/json-body";
import {
  errorSchema,
  healthSchema,
  productIdSchema,
  productInputSchema,
  productListQuerySchema,
  productPageSchema,
  productPatchSchema,
  productSchema,
  reviewInputSchema,
  reviewListSchema,
  reviewSchema,
} from "./schemas";

type Json = Record<string, unknown>;

const ref = (id: string): Json => ({ $ref: `#/components/schemas/${id}` });

/** A standalone JSON Schema for one zod schema, without the `$schema` key OpenAPI does not want. */
function inline(schema: z.ZodType, io: "input" | "output" = "input"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Json;
  return rest;
}
const uri = (id: string) => `#/components/schemas/${id}`;

/** Component schemas: request bodies in their input form (defaults optional), responses as output. */
function componentSchemas(): Record<string, Json> {
  const requests = z.registry<{ id: string }>();
  requests.add(productInputSchema, { id: "ProductInput" });
  requests.add(productPatchSchema, { id: "ProductPatch" });
  requests.add(reviewInputSchema, { id: "ReviewInput" });
  const responses = z.registry<{ id: string }>();
  for (const [schema, id] of [
    [productSchema, "Product"],
    [reviewSchema, "Review"],
    [reviewListSchema, "ReviewList"],
    [productPageSchema, "ProductPage"],
    [healthSchema, "Health"],
    [errorSchema, "Error"],
  ] as const) {
    responses.add(schema, { id });
  }
  const strip = (schemas: Record<string, Json>) =>
    Object.fromEntries(
      Object.entries(schemas).map(([id, { $schema: _, $id: __, ...rest }]) => [id, rest]),
    );
  return {
    ...strip(z.toJSONSchema(requests, { io: "input", uri }).schemas as Record<string, Json>),
    ...strip(z.toJSONSchema(responses, { io: "output", uri }).schemas as Record<string, Json>),
  };
}

const header = (description: string, schema: Json = { type: "string" }): Json => ({
  description,
  schema,
});
const cachedReadHeaders = {
  "X-Cache": header("How the cache answered.", { enum: ["HIT", "MISS", "STALE", "BYPASS"] }),
  "Server-Timing": header("`cache;dur=…` and, when Postgres was queried, `db;dur=…`."),
  "Cache-Control": header("`no-cache` (revalidate with the ETag)."),
};
const etagHeader = { ETag: header('The product version as a strong ETag, e.g. `"3"`.') };

const json = (schema: Json) => ({ content: { "application/json": { schema } } });

/** A response per contract error code that `operation` can produce. */
function errors(...codes: Parameters<typeof statusOf>[0][]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const code of codes) {
    const status = String(statusOf(code));
    const previous = out[status]?.description;
    out[status] = {
      description: previous === undefined ? `\`${code}\`` : `${previous}, \`${code}\``,
      ...json(ref("Error")),
    };
  }
  return out;
}

const idParameter = {
  name: "id",
  in: "path",
  required: true,
  schema: inline(productIdSchema),
};
const ifMatch = {
  name: "If-Match",
  in: "header",
  required: false,
  description: 'Only if the product\'s current ETag matches (e.g. `"3"`); otherwise `412`.',
  schema: { type: "string" },
};
const writeErrors = (...extra: Parameters<typeof statusOf>[0][]) =>
  errors(
    "invalid_id",
    "validation_failed",
    "invalid_json",
    "unauthorized",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limited",
    "service_unavailable",
    "internal",
    ...extra,
  );
const body = (id: string) => ({
  required: true,
  description: `JSON, at most ${MAX_BODY_BYTES} bytes; unknown fields are rejected.`,
  ...json(ref(id)),
});
const bearer = [{ bearer: [] }];

function listQueryParameters(): Json[] {
  const shape = productListQuerySchema.shape;
  return (["limit", "cursor"] as const).map((name) => ({
    name,
    in: "query",
    required: false,
    schema: inline(shape[name]),
  }));
}

function paths(): Json {
  return {
    "/products": {
      get: {
        summary: "A page of products, ordered by id",
        parameters: listQueryParameters(),
        responses: {
          "200": { description: "A page", headers: cachedReadHeaders, ...json(ref("ProductPage")) },
          ...errors("validation_failed", "service_unavailable", "internal"),
        },
      },
    },
    "/products/{id}": {
      parameters: [idParameter],
      get: {
        summary: "A product with its rating",
        parameters: [{ name: "If-None-Match", in: "header", schema: { type: "string" } }],
        responses: {
          "200": {
            description: "The product",
            headers: { ...cachedReadHeaders, ...etagHeader },
            ...json(ref("Product")),
          },
          "304": { description: "Not modified (If-None-Match matched)", headers: etagHeader },
          ...errors("invalid_id", "not_found", "service_unavailable", "internal"),
        },
      },
      put: {
        summary: "Create or replace a product",
        security: bearer,
        parameters: [ifMatch],
        requestBody: body("ProductInput"),
        responses: {
          "200": { description: "Replaced", headers: etagHeader, ...json(ref("Product")) },
          "201": {
            description: "Created",
            headers: { ...etagHeader, Location: header("`/products/{id}`") },
            ...json(ref("Product")),
          },
          ...writeErrors("precondition_failed"),
        },
      },
      patch: {
        summary: "Change some fields of a product",
        security: bearer,
        parameters: [ifMatch],
        requestBody: body("ProductPatch"),
        responses: {
          "200": { description: "Changed", headers: etagHeader, ...json(ref("Product")) },
          ...writeErrors("not_found", "precondition_failed"),
        },
      },
      delete: {
        summary: "Delete a product and its reviews",
        security: bearer,
        parameters: [ifMatch],
        responses: {
          "204": { description: "Deleted" },
          ...writeErrors("not_found", "precondition_failed"),
        },
      },
    },
    "/products/{id}/reviews": {
      parameters: [idParameter],
      get: {
        summary: "The newest 50 reviews with count and average",
        responses: {
          "200": { description: "Reviews", headers: cachedReadHeaders, ...json(ref("ReviewList")) },
          ...errors("invalid_id", "not_found", "service_unavailable", "internal"),
        },
      },
      post: {
        summary: "Add a review",
        security: bearer,
        requestBody: body("ReviewInput"),
        responses: {
          "201": { description: "Created", ...json(ref("Review")) },
          ...writeErrors("not_found"),
        },
      },
    },
    "/healthz": {
      get: {
        summary: "Database and Redis reachability",
        responses: {
          "200": {
            description: "Database up (Redis may be down: `degraded`)",
            ...json(ref("Health")),
          },
          "503": { description: "Database down", ...json(ref("Health")) },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document",
        responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": {} } } },
      },
    },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document (built once per isolate). */
export function openApiDocument(): Json {
  cached ??= {
    openapi: "3.1.0",
    info: {
      title: "Products API",
      version: "1.0.0",
      description:
        "Products and reviews behind a cache-aside layer. Errors share one envelope; see the Error schema.",
    },
    paths: paths(),
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
  };
  return cached;
}
