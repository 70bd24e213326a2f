/**
 * `npm run openapi:generate`: writes the OpenAPI document built from the route table to
 * `src/http/openapi/openapi.json`, which the Worker serves at `/openapi.json`. `npm test` fails
 * (test/api/openapi.test.ts) when the committed file differs from what this would write.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument } from "../src/http/openapi/document";

const OUT = fileURLToPath(new URL("../src/http/openapi/openapi.json", import.meta.url));

await writeFile(OUT, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${OUT}`);
