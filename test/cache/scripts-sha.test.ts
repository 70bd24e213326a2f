import { createHash } from "node:crypto";
import { cacheScripts } from "lease-cache/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashSubject, type UpstashSubject } from "./upstash-subject";

let subject: UpstashSubject;
beforeAll(async () => {
  subject = await startUpstashSubject();
});
afterAll(async () => {
  await subject.close();
});

const texts = cacheScripts.flatMap((s) => [
  [`${s.name} (Redis)`, s.redis] as const,
  [`${s.name} (Upstash)`, s.upstash] as const,
]);

describe("pinned script hashes", () => {
  it.each(texts)("%s's pinned SHA-1 is the SHA-1 of its text", (_, text) => {
    expect(createHash("sha1").update(text.source).digest("hex")).toBe(text.sha1);
  });

  it.each(cacheScripts.map((s) => [s.name, s] as const))(
    "Redis loads %s under its pinned Upstash SHA-1 through the Upstash REST server",
    async (_, script) => {
      expect(await subject.raw.scriptLoad(script.upstash.source)).toBe(script.upstash.sha1);
      expect(await subject.raw.scriptExists(script.upstash.sha1)).toEqual([1]);
    },
  );

  it("has one body in both dialects: the Upstash text is the Redis text under a shebang", () => {
    for (const script of cacheScripts) {
      const [shebang, ...body] = script.upstash.source.split("\n");
      expect(shebang).toMatch(/^#!lua flags=allow-key-locking(,no-writes)?$/);
      expect(shebang?.endsWith(",no-writes")).toBe(script.readOnly);
      expect(body.join("\n")).toBe(script.redis.source);
    }
  });

  it("declares every key it touches in KEYS", () => {
    for (const script of cacheScripts) {
      const body = script.redis.source
        .split("\n")
        .filter((line) => !line.trimStart().startsWith("--"));
      for (const line of body) {
        // Every redis.call names its key through KEYS[...] or unpack(KEYS, ...).
        for (const call of line.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)) {
          expect(call[2], `${script.name}: ${line.trim()}`).toMatch(/^(KEYS\[|unpack\(KEYS)/);
        }
      }
    }
  });
});
