/**
 * Builds the OpenAPI 3.1 document from the route table (`../api.ts`) and its zod schemas with
 * `z.toJSONSchema` (JSON Schema 2020-12, OpenAPI 3.1's dialect). It runs at build time
 * (`npm run openapi:generate` writes `./openapi.json`, which the Worker serves) so that neither
 * this module nor zod's JSON Schema converter is part of the Worker bundle.
 *
 * @module
 */
import * as z from "zod/mini";
import {
  ERROR_COMPONENT,
  type HeaderDef,
  type Named,
  OPERATIONS,
  type OperationDef,
  type ResponseDef,
} from "../api";
import { PRODUCT_WRITE_SCOPE } from "../auth/user-tokens";
import { type ErrorCode, statusOf } from "../errors";
import { MAX_BODY_BYTES } from "../middleware/json-body";

type Json = Record<string, unknown>;

const SCHEMAS = "#/components/schemas/";
const ref = (name: string): Json => ({ $ref: `${SCHEMAS}${name}` });

/** A standalone JSON Schema of one zod schema, without the `$schema` key OpenAPI does not want. */
function inline(schema: z.ZodMiniType, io: "input" | "output" = "input"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Json;
  return rest;
}

/** Component schemas: request bodies in their input form (defaults optional), responses as output. */
function componentSchemas(operations: readonly OperationDef[]): Record<string, Json> {
  const requests = new Map<string, Named>();
  const responses = new Map<string, Named>([[ERROR_COMPONENT.name, ERROR_COMPONENT]]);
  for (const op of operations) {
    if (op.body !== undefined) {
      requests.set(op.body.name, op.body);
    }
    for (const response of Object.values(op.responses)) {
      if (typeof response.body === "object") {
        responses.set(response.body.name, response.body);
      }
    }
  }
  const render = (named: Map<string, Named>, io: "input" | "output") => {
    const registry = z.registry<{ id: string }>();
    for (const { name, schema } of named.values()) {
      registry.add(schema, { id: name });
    }
    const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `${SCHEMAS}${id}` }) as {
      schemas: Record<string, Json>;
    };
    return Object.fromEntries(
      Object.entries(schemas).map(([id, { $schema: _, $id: __, ...rest }]) => [id, rest]),
    );
  };
  return { ...render(requests, "input"), ...render(responses, "output") };
}

const headerObject = (h: HeaderDef): Json => ({
  description: h.description,
  schema: h.enum === undefined ? { type: "string" } : { type: "string", enum: [...h.enum] },
});

/** `X-Request-Id` is on every response. */
const REQUEST_ID_HEADER = { $ref: "#/components/headers/X-Request-Id" };

function responseObject(response: ResponseDef): Json {
  const headers: Json = { "X-Request-Id": REQUEST_ID_HEADER };
  for (const h of response.headers ?? []) {
    headers[h.name] = headerObject(h);
  }
  const out: Json = { description: response.description, headers };
  if (response.body === "html") {
    out.content = { "text/html": { schema: { type: "string" } } };
  } else if (response.body === "json") {
    out.content = { "application/json": { schema: { type: "object" } } };
  } else if (response.body !== undefined) {
    out.content = { "application/json": { schema: ref(response.body.name) } };
  }
  return out;
}

/** Headers an error status carries besides `X-Request-Id`. */
const ERROR_HEADERS: Partial<Record<number, Json>> = {
  401: {
    "WWW-Authenticate": {
      description: '`Bearer realm="api"`, with `error="invalid_token"` when a credential was sent.',
      schema: { type: "string" },
    },
  },
  429: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
  503: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } },
};

/** One response per status of `codes` (plus `500 internal`), each describing its codes. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, "internal" as const]) {
    const status = statusOf(code);
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  const out: Record<string, Json> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: list.map((c) => `\`${c}\``).join(", "),
      headers: { "X-Request-Id": REQUEST_ID_HEADER, ...ERROR_HEADERS[status] },
      content: { "application/json": { schema: ref(ERROR_COMPONENT.name) } },
    };
  }
  return out;
}

/** `/products/:id` → `/products/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

function parameters(op: OperationDef): Json[] {
  const out: Json[] = [];
  const shapeOf = (schema: z.ZodMiniObject) =>
    schema._zod.def.shape as Record<string, z.ZodMiniType>;
  if (op.params !== undefined) {
    for (const [name, schema] of Object.entries(shapeOf(op.params))) {
      out.push({ name, in: "path", required: true, schema: inline(schema) });
    }
  }
  if (op.query !== undefined) {
    for (const [name, schema] of Object.entries(shapeOf(op.query))) {
      const optional = schema._zod.optin === "optional";
      out.push({ name, in: "query", required: !optional, schema: inline(schema) });
    }
  }
  for (const h of op.headers ?? []) {
    out.push({
      name: h.name,
      in: "header",
      required: false,
      description: h.description,
      schema: { type: "string" },
    });
  }
  return out;
}

function security(op: OperationDef): Json[] {
  if (op.auth === undefined) {
    return [];
  }
  return op.auth === "product-writer"
    ? [{ serviceToken: [] }, { userToken: [PRODUCT_WRITE_SCOPE] }]
    : [{ serviceToken: [] }, { userToken: [] }];
}

function operationObject(op: OperationDef): Json {
  const responses: Record<string, Json> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    responses[status] = responseObject(response);
  }
  const out: Json = {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    tags: [op.tag],
    parameters: parameters(op),
    security: security(op),
    responses: { ...responses, ...errorResponses(op.errors) },
  };
  if (op.body !== undefined) {
    out.requestBody = {
      required: true,
      description: `JSON, at most ${MAX_BODY_BYTES} bytes; unknown fields are rejected.`,
      content: { "application/json": { schema: ref(op.body.name) } },
    };
  }
  return out;
}

/** The OpenAPI 3.1 document of `operations`. */
export function buildOpenApiDocument(operations: readonly OperationDef[] = OPERATIONS): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const path = openApiPath(op.path);
    paths[path] = { ...paths[path], [op.method]: operationObject(op) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Products API",
      version: "1.0.0",
      description:
        "Products and reviews behind a cache-aside layer (Cloudflare Workers, Postgres, Redis). " +
        "Reads are public; writes need the service token or a user token (a JWT of the configured " +
        "identity provider). Every error has the same envelope (the `Error` schema).",
    },
    tags: [
      { name: "products", description: "Products and pages of products" },
      { name: "reviews", description: "Reviews of a product" },
      { name: "service", description: "Health, this document, the reference page, the storefront" },
    ],
    paths,
    components: {
      schemas: componentSchemas(operations),
      headers: {
        "X-Request-Id": {
          description: "The request's id (from the request when sane, else generated).",
          schema: { type: "string" },
        },
      },
      securitySchemes: {
        serviceToken: {
          type: "http",
          scheme: "bearer",
          description: "`API_TOKEN`: may do every write. For servers and scripts, never browsers.",
        },
        userToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "A JWT of `JWT_ISSUER` (RS256 or ES256, keys from `JWT_JWKS_URL`, `aud` containing " +
            "`JWT_AUDIENCE`). `scope` containing `products:write` makes the user a product writer.",
        },
      },
    },
  };
}
