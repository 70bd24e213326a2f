import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

/**
 * Three projects:
 * - `unit`: pure modules under `src/`, no servers.
 * - `emulators`: the local protocol servers; each test file starts the servers it needs.
 * - `integration`: everything under `test/`, against one stack per run started by
 *   `test/global-setup.ts` (fresh database, random key prefix). Its files run one at a time because
 *   they share that stack's fault knobs.
 */
export default defineConfig({
  test: {
    // Most files wait on sockets (Redis, Postgres, workerd), not on the CPU, so two workers even on
    // two cores (the default would be one): 110 s -> about 75 s here. More made timing-sensitive
    // tests (latency knobs) flaky on a loaded 2-core machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "emulators",
          include: ["emulators/**/*.test.ts"],
          environment: "node",
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
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
