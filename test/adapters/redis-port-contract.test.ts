/**
 * Every Redis adapter of `lease-cache` against real Redis (and the in-memory stand-in against the
 * same expectations): the scripts contract of `lease-cache/testing`, the cache-level contract, and,
 * for the real clients, what the NOSCRIPT fallback relies on. Each adapter has its own key prefix
 * and deletes its keys afterwards.
 */
import { registerScriptsContract } from "lease-cache/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { registerCacheContract, registerNoScriptContract } from "./cache-contract";
import { type AdapterSubject, ALL_SUBJECTS, REAL_SUBJECTS } from "./subjects";

for (const factory of ALL_SUBJECTS) {
  describe(factory.name, () => {
    let started: AdapterSubject | undefined;
    beforeAll(async () => {
      started = await factory.start();
    });
    afterAll(async () => {
      await started?.close();
    });
    const subject = (): AdapterSubject => {
      if (started === undefined) {
        throw new Error(`${factory.name} did not start`);
      }
      return started;
    };

    registerScriptsContract(factory.name, subject);
    registerCacheContract(subject);
    if (REAL_SUBJECTS.includes(factory)) {
      registerNoScriptContract(subject);
    }
  });
}
