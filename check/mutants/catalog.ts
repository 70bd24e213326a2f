/**
 * The mutants the checker must catch (reliability.md §3). Each is a set of source patches applied
 * at bundle time; the real code is never edited.
 */
import { FILL } from "../../src/cache/scripts";
import { luaPatches } from "./lua-patch";
import type { TextPatch } from "./patch-plugin";

/** A mutant's name. */
export type MutantName = "M1" | "M2" | "M3" | "M4";

/**
 * A mutant: what it breaks and how. `marker` is text that its bundle contains and the real
 * bundle does not (a check that the patches really reached the bundle).
 */
export type Mutant = {
  name: MutantName;
  description: string;
  patches: TextPatch[];
  marker: string;
};

const LEASE_CHECK = "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end\n";

const M1_PATCHES = luaPatches(FILL, LEASE_CHECK, "");
const M3_PATCHES = luaPatches(
  FILL,
  LEASE_CHECK,
  "if redis.call('GET', KEYS[2]) ~= ARGV[1] and not string.find(ARGV[2], '\"a\":1', 1, true) then return 0 end\n",
);

/** Every mutant, by name. */
export const MUTANTS: Readonly<Record<MutantName, Mutant>> = {
  M1: {
    name: "M1",
    description: "fill is a plain SET: the FILL script's lease check is removed",
    patches: M1_PATCHES,
    marker: M1_PATCHES[1]?.replace ?? "",
  },
  M2: {
    name: "M2",
    description:
      "invalidation skipped on 1% of writes: every 100th invalidate() of an isolate returns without calling Redis",
    patches: [
      {
        file: "src/cache/cache-aside.ts",
        find: "const isolateCoalescer = new Coalescer",
        replace: "let mutantInvalidations = 0;\nconst isolateCoalescer = new Coalescer",
      },
      {
        file: "src/cache/cache-aside.ts",
        find: "    async invalidate(target): Promise<void> {\n",
        // A counter, not Math.random: exactly 1% of writes, so detection does not depend on luck.
        replace:
          "    async invalidate(target): Promise<void> {\n      mutantInvalidations += 1;\n      if (mutantInvalidations % 100 === 0) return;\n",
      },
    ],
    marker: "if (mutantInvalidations % 100 === 0) return;",
  },
  M3: {
    name: "M3",
    description:
      'cached misses (entries with the "a":1 absent marker) are filled without the lease check',
    patches: M3_PATCHES,
    marker: M3_PATCHES[1]?.replace ?? "",
  },
  M4: {
    name: "M4",
    description:
      "static AbortSignal: the per-request Upstash client gets one AbortSignal.timeout(ms) instead of a factory",
    patches: [
      {
        file: "src/redis/upstash.ts",
        find: "signal: () => AbortSignal.timeout(timeoutMs),",
        replace: "signal: AbortSignal.timeout(timeoutMs),",
      },
    ],
    marker: "    signal: AbortSignal.timeout(timeoutMs),",
  },
};

/** Mutant names in order. */
export const MUTANT_NAMES: readonly MutantName[] = ["M1", "M2", "M3", "M4"];
