/**
 * The measured numbers in `docs/benchmarks.md` and `bench/results/latest.svg` are renderings of the
 * committed `bench/results/latest.json`, never typed in by hand. When this fails after a bench run
 * or a renderer change, run `npm run bench:report` and commit the three files together.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  BENCH_DOCS_PAGE,
  BENCH_SECTION_BEGIN,
  BENCH_SECTION_END,
  BenchSectionError,
  benchDocsSection,
  extractBenchSection,
  replaceBenchSection,
} from "../../bench/report/docs-section";
import type { BenchResults } from "../../bench/report/results";
import { benchChart } from "../../bench/report/svg-chart";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFile(`${ROOT}${path}`, "utf8");
const latest = async () => JSON.parse(await read("bench/results/latest.json")) as BenchResults;

describe("the committed benchmark results", () => {
  it("docs/benchmarks.md shows exactly the rendering of bench/results/latest.json", async () => {
    const page = await read(BENCH_DOCS_PAGE);
    expect(
      extractBenchSection(page),
      "docs/benchmarks.md is out of date: run `npm run bench:report`",
    ).toBe(benchDocsSection(await latest()));
  });

  it("bench/results/latest.svg is the rendering of bench/results/latest.json", async () => {
    expect(
      await read("bench/results/latest.svg"),
      "latest.svg is out of date: run `npm run bench:report`",
    ).toBe(benchChart(await latest()));
  });

  it("the section names every scenario of the run and its targets", async () => {
    const results = await latest();
    const section = benchDocsSection(results);
    for (const scenario of results.scenarios) {
      expect(section).toContain(`| **${scenario.title}** |`);
    }
    for (const target of results.targets) {
      expect(section).toContain(`| ${target.target} |`);
    }
  });
});

describe("replacing the generated section", () => {
  const page = [
    "# Title",
    "",
    "Hand-written prose.",
    BENCH_SECTION_BEGIN,
    "old numbers",
    BENCH_SECTION_END,
    "More prose.",
    "",
  ].join("\n");

  it("replaces only the text between the markers and keeps the prose around them", () => {
    const replaced = replaceBenchSection(page, "new numbers");
    expect(replaced).toBe(
      [
        "# Title",
        "",
        "Hand-written prose.",
        BENCH_SECTION_BEGIN,
        "",
        "new numbers",
        "",
        BENCH_SECTION_END,
        "More prose.",
        "",
      ].join("\n"),
    );
    expect(extractBenchSection(replaced)).toBe("new numbers");
  });

  it("gives the same page when the same section is written twice", () => {
    const once = replaceBenchSection(page, "numbers\n\nmore");
    expect(replaceBenchSection(once, "numbers\n\nmore")).toBe(once);
  });

  it("refuses a page without the markers, with a marker twice, or with them out of order", () => {
    expect(() => replaceBenchSection("# no markers\n", "x")).toThrow(BenchSectionError);
    expect(() =>
      replaceBenchSection(
        `${BENCH_SECTION_BEGIN}\n${BENCH_SECTION_BEGIN}\n${BENCH_SECTION_END}\n`,
        "x",
      ),
    ).toThrow(/exactly once \(found 2\)/);
    expect(() => extractBenchSection(`${BENCH_SECTION_END}\n${BENCH_SECTION_BEGIN}\n`)).toThrow(
      /comes before/,
    );
  });
});
