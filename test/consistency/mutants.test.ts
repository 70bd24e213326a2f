import { cacheScripts } from "lease-cache/testing";
import { describe, expect, it } from "vitest";
import { bundleWorkerSource } from "../../check/mutants/bundle";
import { MUTANT_NAMES, MUTANTS } from "../../check/mutants/catalog";
import { sha1 } from "../../check/mutants/lua-patch";
import { applyPatch, PatchError } from "../../check/mutants/patch-plugin";

const FILL = cacheScripts.find((s) => s.name === "fill");

describe("mutant patches", () => {
  it("change the code at a named mutation point, and fail loudly when it is missing or repeated", () => {
    const text = "a\n// @mutation-point p.q\nold\nb\n";
    expect(applyPatch(text, { point: "p.q", replaceNextLine: "new" })).toBe(
      "a\n// @mutation-point p.q\nnew\nb\n",
    );
    expect(applyPatch(text, { point: "p.q", insert: "added" })).toBe(
      "a\n// @mutation-point p.q\nadded\nold\nb\n",
    );
    expect(() => applyPatch(text, { point: "p", insert: "x" })).toThrow(PatchError);
    expect(() => applyPatch(`${text}${text}`, { point: "p.q", insert: "x" })).toThrow(/ambiguous/);
    expect(() => applyPatch("abc", { find: "x", replace: "y" })).toThrow(/not found/);
  });

  it("fail the bundle when a patch does not apply, so a mutant never silently becomes the real code", async () => {
    await expect(bundleWorkerSource([{ point: "no.such-point", insert: "" }])).rejects.toThrow(
      /mutation point no\.such-point must occur once in the bundle's sources; found nowhere/,
    );
    await expect(bundleWorkerSource([{ find: "no such text", replace: "" }])).rejects.toThrow(
      /found nowhere/,
    );
  });

  it("re-pin the SHA-1s of a patched Lua script, so EVALSHA cannot run the real one", () => {
    expect(FILL).toBeDefined();
    for (const name of ["M1", "M3"] as const) {
      const patches = MUTANTS[name].patches;
      const changes = patches.filter((p) => "point" in p);
      const pins = patches.filter((p) => !("point" in p));
      const texts = [FILL?.redis, FILL?.upstash];
      expect(pins).toHaveLength(2);
      texts.forEach((text, i) => {
        const patched = changes.reduce((source, c) => applyPatch(source, c), text?.source ?? "");
        expect(patched).not.toBe(text?.source);
        expect(pins[i]).toEqual({ find: `"${text?.sha1}"`, replace: `"${sha1(patched)}"` });
        // The pinned digest of the real script is the digest Redis computes.
        expect(sha1(text?.source ?? "")).toBe(text?.sha1);
      });
    }
  });

  it("build a bundle per mutant that carries its change and differs from the real one", async () => {
    const real = await bundleWorkerSource();
    for (const name of MUTANT_NAMES) {
      const { marker } = MUTANTS[name];
      expect(marker.length, name).toBeGreaterThan(10);
      expect(real.includes(marker), `real bundle has ${name}'s marker`).toBe(false);
      expect((await bundleWorkerSource(MUTANTS[name].patches)).includes(marker), name).toBe(true);
    }
    expect(real.includes(FILL?.upstash.sha1 ?? "-")).toBe(true);
  }, 30_000);
});
