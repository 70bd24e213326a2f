/**
 * `npm run bench:report`: re-renders `bench/results/latest.svg` and the generated section of
 * `docs/benchmarks.md` from the committed `bench/results/latest.json`, without running the bench.
 * Use it after changing the renderers (or the page's prose around the markers).
 */
import { relative } from "node:path";
import { readLatest, writeRenderings } from "./write-results";

const results = await readLatest();
if (results === undefined) {
  process.stderr.write("bench:report: bench/results/latest.json is missing or unreadable\n");
  process.exit(1);
}
const written = await writeRenderings(results);
process.stdout.write(
  `bench:report: wrote ${written.map((f) => relative(process.cwd(), f)).join(", ")}\n`,
);
