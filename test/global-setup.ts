/**
 * Vitest global setup of the `integration` project, run once per `vitest run` in Node.
 *
 * Gives the run its own world (`harness/run-stack.ts`): a fresh Postgres database (migrated), a
 * random Redis key prefix, an Upstash REST server over the real Redis, a Neon server, and the
 * Worker bundled once. Tests read all of it with `inject("stack")` (see `support/provided.d.ts`).
 */
import type { TestProject } from "vitest/node";
import { startRunStack } from "../harness/run-stack";

/** Starts the run's stack, provides it, and returns the teardown (which undoes it in reverse). */
export default async function setup(
  project: Pick<TestProject, "provide">,
): Promise<() => Promise<void>> {
  const run = await startRunStack();
  project.provide("stack", run.stack);
  return run.close;
}
