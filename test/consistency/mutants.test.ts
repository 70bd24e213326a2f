import { describe, expect, it } from "vitest";
import { bundleWorkerSource } from "../../check/mutants/bundle";
import { MUTANT_NAMES, MUTANTS } from "../../check/mutants/catalog";
import { sha1 } from "../../check/mutants/lua-patch";
import { applyPatches, PatchError } from "../../check/mutants/patch-plugin";
import { FILL } from "../../src/cache/scripts";

describe("mutant patches", () => {
  it("fail loudly when the text to replace is missing or appears twice", () => {
    expect(() => applyPatches("f.ts", "abc", [{ file: "f.ts", find: "x", replace: "y" }])).toThrow(
      PatchError,
    );
    expect(() => applyPatches("f.ts", "aXbX", [{ file: "f.ts", find: "X", replace: "y" }])).toThrow(
      /ambiguous/,
    );
    expect(applyPatches("f.ts", "aXb", [{ file: "f.ts", find: "X", replace: "y" }])).toBe("ayb");
  });

  it("fail the bundle when a patch does not apply, so a mutant never silently becomes the real code", async () => {
    await expect(
      bundleWorkerSource([{ file: "src/cache/scripts.ts", find: "no such text", replace: "" }]),
    ).rejects.toThrow(/mutant patch not found in .*src\/cache\/scripts\.ts/);
    await expect(
      bundleWorkerSource([{ file: "src/no-such-file.ts", find: "x", replace: "" }]),
    ).rejects.toThrow(/never loaded/);
  });

  it("re-pin the SHA-1 of a patched Lua script, so EVALSHA cannot run the real one", () => {
    for (const name of ["M1", "M3"] as const) {
      const [source, pin] = MUTANTS[name].patches;
      const patched = FILL.source.replace(source?.find ?? "", source?.replace ?? "");
      expect(patched).not.toBe(FILL.source);
      expect(pin?.find).toBe(`sha1: "${FILL.sha1}"`);
      expect(pin?.replace).toBe(`sha1: "${sha1(patched)}"`);
    }
    // The pinned digest of the real script is the digest Redis computes.
    expect(sha1(FILL.source)).toBe(FILL.sha1);
  });

  it("build a bundle per mutant that carries its change and differs from the real one", async () => {
    const real = await bundleWorkerSource();
    for (const name of MUTANT_NAMES) {
      const { marker } = MUTANTS[name];
      expect(marker.length, name).toBeGreaterThan(10);
      expect(real.includes(marker), `real bundle has ${name}'s marker`).toBe(false);
      expect((await bundleWorkerSource(MUTANTS[name].patches)).includes(marker), name).toBe(true);
    }
    expect(real.includes(FILL.sha1)).toBe(true);
  }, 30_000);
});
