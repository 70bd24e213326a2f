/**
 * Builds the Worker's static assets (wrangler.toml `[assets]`): the storefront and the `/docs`
 * page, with Swagger UI copied from `swagger-ui-dist` so nothing is loaded from a CDN.
 *
 * Layout of the output folder: `index.html`, `docs.html` (served by the Worker at `/` and `/docs`)
 * and `assets/…` (served at `/assets/…`).
 *
 * `node --import tsx web/build.ts [outDir]` (wrangler's `[build]` runs it with `dist/web`).
 */
import { copyFile, mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where wrangler.toml's `[assets] directory` points. */
export const DEFAULT_OUT_DIR = resolve(HERE, "../dist/web");

const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];

/** Builds everything into `outDir` (emptied first) and returns it. */
export async function buildWeb(outDir: string = DEFAULT_OUT_DIR): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  const assets = join(outDir, "assets");
  await mkdir(join(assets, "swagger-ui"), { recursive: true });
  await build({
    entryPoints: { storefront: join(HERE, "src/storefront.ts"), docs: join(HERE, "src/docs.ts") },
    outdir: assets,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    logLevel: "warning",
  });
  for (const page of ["index.html", "docs.html"]) {
    await copyFile(join(HERE, "static", page), join(outDir, page));
  }
  await copyFile(join(HERE, "static/styles.css"), join(assets, "styles.css"));
  const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  for (const file of SWAGGER_FILES) {
    await copyFile(join(swagger, file), join(assets, "swagger-ui", file));
  }
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildWeb(process.argv[2] === undefined ? undefined : resolve(process.argv[2]));
  console.log(`web assets built into ${out}`);
}
