/**
 * `/openapi.json` is generated from the route table (`src/http/api.ts`) at build time. These tests
 * keep it honest: the committed document is what the generator writes now, it is a valid OpenAPI
 * 3.1 document (checked by an OpenAPI schema validator), its operations are exactly the app's
 * routes, and every operation lists the statuses the contract gives it.
 */
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { buildOpenApiDocument, openApiPath } from "../../src/http/openapi/document";
import { useApi } from "./helpers";

const w = useApi();

type Operation = {
  operationId: string;
  security: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, unknown> }>;
};
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required?: string[]; additionalProperties?: boolean }>;
    securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }>;
  };
};

const METHODS = ["get", "put", "patch", "delete", "post"];
const operationsOf = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );

async function served(): Promise<Doc> {
  const res = await w.fetch("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

describe("GET /openapi.json", () => {
  it("serves the committed document, which is exactly what the generator builds from the route table", async () => {
    const committed = JSON.parse(
      await readFile(new URL("../../src/http/openapi/openapi.json", import.meta.url), "utf8"),
    );
    // On a mismatch: `npm run openapi:generate` and commit src/http/openapi/openapi.json.
    expect(committed).toEqual(buildOpenApiDocument());
    expect(await served()).toEqual(committed);
  });

  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(await served());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists exactly the app's routes as operations", async () => {
    const doc = await served();
    const routes = new Set(
      createApp()
        .routes.filter((r) => METHODS.includes(r.method.toLowerCase()))
        // Static files of the pages are not API operations.
        .filter((r) => !r.path.startsWith("/assets/"))
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    const operations = operationsOf(doc);
    console.log(`[openapi] ${operations.length} operations`);
    expect(operations.sort()).toEqual([...routes].sort());
    expect(operations.length).toBe(12);
  });

  it("documents every status of the contract, the error envelope and both credentials", async () => {
    const doc = await served();
    const statuses = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
    expect(statuses("/products/{id}", "get")).toEqual([
      "200",
      "304",
      "400",
      "404",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products/{id}", "put")).toEqual([
      "200",
      "201",
      "400",
      "401",
      "403",
      "412",
      "413",
      "415",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products/{id}", "patch")).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "412",
      "413",
      "415",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products/{id}", "delete")).toEqual([
      "204",
      "400",
      "401",
      "403",
      "404",
      "412",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products/{id}/reviews", "post")).toEqual([
      "201",
      "400",
      "401",
      "404",
      "413",
      "415",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products/{id}/reviews/{reviewId}", "delete")).toEqual([
      "204",
      "400",
      "401",
      "403",
      "404",
      "429",
      "500",
      "503",
    ]);
    expect(statuses("/products", "get")).toEqual(["200", "400", "429", "500", "503"]);
    expect(statuses("/healthz", "get")).toEqual(["200", "500", "503"]);

    expect(doc.components.securitySchemes.serviceToken).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(doc.components.securitySchemes.userToken).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    expect(doc.paths["/products/{id}"]?.put?.security).toEqual([
      { serviceToken: [] },
      { userToken: ["products:write"] },
    ]);
    expect(doc.paths["/products/{id}"]?.get?.security).toEqual([]);

    expect(doc.components.schemas.ProductInput?.required).toEqual(["name", "priceCents"]);
    expect(doc.components.schemas.ProductInput?.additionalProperties).toBe(false);
    expect(doc.components.schemas.Review?.required).toContain("authorId");
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Product", "Review", "ReviewList", "ProductPage", "Health", "Error"]),
    );
  });
});
