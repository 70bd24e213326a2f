/**
 * What `test/global-setup.ts` hands to the integration tests (`inject("stack")`): the run's
 * `RunStack` (`harness/run-stack.ts`), plain data that crosses from the setup process to the test
 * workers.
 */
import "vitest";
import type { RunStack } from "../../harness/run-stack";

/** The shared, per-run environment of the integration tests. */
export type ProvidedStack = RunStack;

declare module "vitest" {
  // Module augmentation only works on an interface, hence not a `type`.
  // biome-ignore lint/style/useConsistentTypeDefinitions: declaration merging needs an interface
  export interface ProvidedContext {
    stack: ProvidedStack;
  }
}
