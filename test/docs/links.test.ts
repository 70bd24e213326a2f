/**
 * The README and `docs/` stay a house a newcomer can move into: every relative link points at a
 * file or folder of this repository, nothing points outside it (no `../shared/`, no absolute paths
 * of a particular machine), and the README stays a short entry point.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The README's budget: an entry point, with everything else in `docs/`. */
const README_MAX_BYTES = 10_500;

async function pages(): Promise<string[]> {
  const docs = (await readdir(join(ROOT, "docs"), { recursive: true }))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(ROOT, "docs", name));
  return [join(ROOT, "README.md"), join(ROOT, "emulators/upstash-rest/README.md"), ...docs];
}

/** The targets of inline markdown links and images in `markdown`, outside code spans and blocks. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? "");
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** The anchors GitHub gives the headings of `markdown` (lower case, punctuation dropped, `-` for spaces). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of markdown.replace(/```[\s\S]*?```/g, "").split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading !== undefined) {
      anchors.add(
        heading
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, "")
          .replace(/\s/g, "-"),
      );
    }
  }
  return anchors;
}

describe("links in the README and docs/", () => {
  it("point at files, folders and headings that exist in the repository", async () => {
    const broken: string[] = [];
    for (const page of await pages()) {
      for (const target of linkTargets(await readFile(page, "utf8"))) {
        if (isExternal(target)) {
          continue;
        }
        const [path = "", anchor] = target.split("#");
        const resolved = path === "" ? page : join(dirname(page), decodeURIComponent(path));
        if (relative(ROOT, resolved).startsWith("..") || !existsSync(resolved)) {
          broken.push(`${relative(ROOT, page)} → ${target}`);
        } else if (anchor !== undefined && resolved.endsWith(".md")) {
          if (!headingAnchors(await readFile(resolved, "utf8")).has(anchor)) {
            broken.push(`${relative(ROOT, page)} → ${target} (no such heading)`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("never name the team's shared folder or an absolute path of this machine", async () => {
    const offenders: string[] = [];
    for (const page of await pages()) {
      const text = await readFile(page, "utf8");
      for (const pattern of [/\.\.\/shared\//, /(^|[\s`(])\/(work|root|home)\//m]) {
        if (pattern.test(text)) {
          offenders.push(`${relative(ROOT, page)} matches ${pattern}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it("name headings by GitHub's anchors", () => {
    const anchors = headingAnchors("# Cache design\n## 5. Redis is an accelerator (`x`)\n## Où?");
    expect([...anchors]).toEqual(["cache-design", "5-redis-is-an-accelerator-x", "où"]);
  });

  it("find links in prose but not in code", () => {
    const text = [
      "See [the contract](docs/api.md#errors) and ![chart](../bench/x.svg).",
      "`[not](a-link.md)`",
      "```",
      "[also not](inside-a-block.md)",
      "```",
    ].join("\n");
    expect(linkTargets(text)).toEqual(["docs/api.md#errors", "../bench/x.svg"]);
  });
});

describe("the README", () => {
  it(`stays an entry point of at most ${README_MAX_BYTES} bytes`, async () => {
    expect((await stat(join(ROOT, "README.md"))).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });
});
