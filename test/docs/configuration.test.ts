/**
 * `docs/configuration.md` stays the full list of the Worker's settings: every binding `src/env.ts`
 * reads has a row there (the contract's own table in `docs/api.md` is a subset).
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { envSchema } from "../../src/env";

const page = () => readFile(new URL("../../docs/configuration.md", import.meta.url), "utf8");

/** The names in the first cell of each table row of `markdown`. */
function documentedNames(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const firstCell = /^\|([^|]*)\|/.exec(line)?.[1] ?? "";
    for (const match of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) {
      names.add(match[1] ?? "");
    }
  }
  return names;
}

describe("docs/configuration.md", () => {
  it("has a row for every setting src/env.ts reads", async () => {
    const documented = documentedNames(await page());
    const undocumented = Object.keys(envSchema.shape).filter((name) => !documented.has(name));
    expect(undocumented, "add these to docs/configuration.md").toEqual([]);
  });

  it("reads names only from the first cell of table rows", () => {
    const names = documentedNames(
      ["| `A_ONE`, `B_TWO` | var | `C_NOT` |", "`D_PROSE` in a sentence", "| x | `E_NOT` |"].join(
        "\n",
      ),
    );
    expect([...names].sort()).toEqual(["A_ONE", "B_TWO"]);
  });
});
