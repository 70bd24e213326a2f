import { createHash } from "node:crypto";
import { cacheScripts as ALL_SCRIPTS } from "lease-cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashSubject, type UpstashSubject } from "./upstash-subject";

let subject: UpstashSubject;
beforeAll(async () => {
  subject = await startUpstashSubject();
});
afterAll(async () => {
  await subject.close();
});

describe("pinned script hashes", () => {
  it.each(ALL_SCRIPTS.map((s) => [s.name, s] as const))(
    "%s's pinned SHA-1 is the SHA-1 of its text",
    (_, script) => {
      expect(createHash("sha1").update(script.source).digest("hex")).toBe(script.sha1);
    },
  );

  it.each(ALL_SCRIPTS.map((s) => [s.name, s] as const))(
    "Redis loads %s under its pinned SHA-1",
    async (_, script) => {
      expect(await subject.raw.scriptLoad(script.source)).toBe(script.sha1);
      expect(await subject.raw.scriptExists(script.sha1)).toEqual([1]);
    },
  );

  it("declares every key it touches in KEYS", () => {
    for (const script of ALL_SCRIPTS) {
      const body = script.source.split("\n").filter((line) => !line.trimStart().startsWith("--"));
      for (const line of body) {
        // Every redis.call names its key through KEYS[...] or unpack(KEYS, ...).
        for (const call of line.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)) {
          expect(call[2], `${script.name}: ${line.trim()}`).toMatch(/^(KEYS\[|unpack\(KEYS)/);
        }
      }
    }
  });
});
