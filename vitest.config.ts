import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * `lease-cache` and its entries resolve to the package's TypeScript sources, as tsconfig `paths`
 * (in `tsconfig.base.json`, the one source of that mapping) say for tsc, esbuild and wrangler.
 */
function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const base = JSON.parse(readFileSync(new URL("tsconfig.base.json", import.meta.url), "utf8")) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  return Object.entries(base.compilerOptions.paths).map(([name, [target]]) => ({
    find: new RegExp(`^${name.replace(/[/.]/g, "\\$&")}$`),
    replacement: fileURLToPath(new URL(target ?? "", import.meta.url)),
  }));
}

/**
 * Four projects:
 * - `package`: the `lease-cache` package's own unit tests (in-memory port, controlled time).
 * - `unit`: pure modules under `src/`, no servers.
 * - `emulators`: the local protocol servers; each test file starts the servers it needs.
 * - `integration`: everything under `test/`, against one stack per run started by
 *   `test/global-setup.ts` (fresh database, random key prefix). Its files run one at a time because
 *   they share that stack's fault knobs.
 */
export default defineConfig({
  resolve: { alias: workspaceAliases() },
  test: {
    // Most files wait on sockets (Redis, Postgres, workerd), not on the CPU, so two workers even on
    // two cores (the default would be one): 110 s -> about 75 s here. More made timing-sensitive
    // tests (latency knobs) flaky on a loaded 2-core machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: "package",
          include: ["packages/*/src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        extends: true,
        test: {
          name: "emulators",
          include: ["emulators/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
