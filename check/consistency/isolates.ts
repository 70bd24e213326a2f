/**
 * Worker isolates in Miniflare for the checker (and its tests), started from a bundle's source
 * text through the harness's one isolate starter (`harness/isolates.ts`): one workerd process,
 * `count` isolates with their own module state, sharing the backends — what separate edge
 * locations look like to Redis and Postgres.
 */
import { quietOutput, startIsolates as startHarnessIsolates } from "../../harness/isolates";
import type { Target } from "./target";

/** What the isolates need from the local stack (a subset of the harness' `RunStack`). */
export type IsolateStack = {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** The Worker's bindings (wrangler.toml vars, the local servers, the token, the key prefix). */
  bindings: Record<string, string>;
};

/** Running isolates. */
export type Isolates = {
  targets: Target[];
  /** Runs the Worker's `scheduled` handler in isolate `index` (the outbox drain). @default 0 */
  scheduled(index?: number): Promise<void>;
  dispose(): Promise<void>;
};

/**
 * Starts `count` isolates of the ES module `script` with the stack's bindings plus `bindings`.
 * The Worker's own log lines (mutants log a lot of errors) are dropped unless `CHECK_WORKER_LOGS=1`.
 */
export async function startIsolates(
  stack: IsolateStack,
  script: string,
  count: number,
  bindings: Record<string, string> = {},
): Promise<Isolates> {
  const group = await startHarnessIsolates({
    count,
    source: { script },
    compatibilityDate: stack.compatibilityDate,
    compatibilityFlags: stack.compatibilityFlags,
    bindings: { ...stack.bindings, ...bindings },
    ...quietOutput(),
  });
  return {
    targets: group.isolates,
    async scheduled(index = 0) {
      const isolate = group.isolates[index];
      if (isolate === undefined) {
        throw new RangeError(`no isolate ${index} of ${count}`);
      }
      await isolate.scheduled();
    },
    dispose: group.dispose,
  };
}
