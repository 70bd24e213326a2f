/**
 * Faithfulness: every operation through the real `@upstash/redis` client and the emulator must give
 * what the same command gives when sent straight to Redis by an independent client (ioredis, not
 * the emulator's RESP client) — with auto-pipelining on (requests go to `/pipeline`, some to `/`)
 * and off (requests go to `/`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASH_CASES } from "./cases/hashes";
import { KEY_CASES } from "./cases/keys";
import { LIST_CASES } from "./cases/lists";
import { SCRIPT_CASES } from "./cases/scripts";
import { SET_CASES } from "./cases/sets";
import { ZSET_CASES } from "./cases/sorted-sets";
import { MISC_CASES } from "./cases/streams-geo-hll";
import { STRING_CASES } from "./cases/strings";
import { type Case, type Key, withoutPrefix } from "./differential-support";
import { askOracle, type Harness, redisErrorText, startHarness } from "./test-support";

const CASES: Case[] = [
  ...STRING_CASES,
  ...KEY_CASES,
  ...HASH_CASES,
  ...LIST_CASES,
  ...SET_CASES,
  ...ZSET_CASES,
  ...MISC_CASES,
  ...SCRIPT_CASES,
];

/** Command names (with the subcommand for SCRIPT) whose results were compared and agreed. */
const covered = new Set<string>();

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

/** The client's result, or `{error}` with the Redis text when it threw. */
async function settle(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error: unknown) {
    return { error: redisErrorText(error) };
  }
}

describe.each([{ autoPipelining: true }, { autoPipelining: false }])(
  "with auto-pipelining $autoPipelining",
  ({ autoPipelining }) => {
    for (const testCase of CASES) {
      it(`agrees with direct Redis on ${testCase.name}`, async () => {
        // Raw results are compared, so the client must not JSON-parse them.
        const redis = h.client({
          enableAutoPipelining: autoPipelining,
          automaticDeserialization: false,
        });
        const base = h.key(
          `${autoPipelining ? "auto" : "plain"}:${testCase.name.replace(/\W+/g, "-")}`,
        );
        const viaPrefix = `${base}:via`;
        const directPrefix = `${base}:direct`;
        const kVia: Key = (name) => `${viaPrefix}:${name}`;
        const kDirect: Key = (name) => `${directPrefix}:${name}`;
        for (const [index, step] of testCase.steps.entries()) {
          const command = step.direct(kDirect);
          const normalize = step.normalize ?? ((value: unknown) => value);
          const expected = normalize(
            withoutPrefix(await askOracle(h.oracle, command), directPrefix),
          );
          const actual = normalize(
            withoutPrefix(await settle(() => step.client(redis, kVia)), viaPrefix),
          );
          expect(actual, `step ${index}: ${command.join(" ")}`).toEqual(expected);
          const name = String(command[0]).toUpperCase();
          covered.add(name === "SCRIPT" ? `${name} ${String(command[1]).toUpperCase()}` : name);
        }
      });
    }
  },
);

describe("coverage", () => {
  it("compared at least 60 distinct commands", () => {
    // Runs last in this file; a filtered run (-t) sees fewer and fails on purpose.
    console.info(`differential coverage (${covered.size}): ${[...covered].sort().join(" ")}`);
    expect(covered.size).toBeGreaterThanOrEqual(60);
  });
});
