/**
 * `bench/results/latest.svg`, hand-written (no chart dependency): panel 1 grouped bars of read
 * latency per scenario (p99 light, p50 solid, log scale), panel 2 Postgres queries per 1000 reads
 * per scenario (log scale; a zero is written as "0" on the axis).
 */
import type { BenchPath } from "../protocol";
import { PATH_NAMES } from "./paths";
import type { BenchResults, ScenarioResult } from "./results";

const COLORS: Record<BenchPath, string> = {
  nocache: "#8a8f98",
  naive: "#d9792b",
  core: "#2463b5",
  cachified: "#3a9a5b",
  bentocache: "#9b4fb0",
};
const SHORT: Record<string, string> = {
  hit: "hit",
  miss: "miss",
  stampede: "stampede ×500",
  expiring: "expiring (SWR)",
  "expiring-no-stale": "expiring (no SWR)",
  absent: "absent ids",
  mix: "read/write mix",
  flash: "flash sale",
};

const WIDTH = 1200;
const LEFT = 64;
const RIGHT = 16;
const PANEL_HEIGHT = 300;
/** Room above the highest bar for its rotated value label. */
const LABEL_ROOM = 64;

type Bar = { path: BenchPath; low: number | null; high: number | null; label: string };
type Group = { name: string; bars: Bar[] };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
function num(v: number): string {
  if (v === 0) {
    return "0";
  }
  return v >= 100 ? v.toFixed(0) : v.toFixed(v >= 1 ? 1 : 2);
}

function pgPerThousand(s: ScenarioResult, path: BenchPath): number | null {
  const m = s.metrics[path];
  if (m === undefined) {
    return null;
  }
  const perRead =
    m.pgPerRead ??
    m.pgPerRequest ??
    (m.pgReads != null && m.reads ? m.pgReads / m.reads : null) ??
    (m.pgTotal !== undefined && m.pgTotal !== null && m.requests ? m.pgTotal / m.requests : null);
  return perRead === null || perRead === undefined ? null : perRead * 1000;
}

/** Draws one panel of grouped bars on a log axis from `floor` to the next power of ten. */
function panel(
  top: number,
  title: string,
  groups: Group[],
  floor: number,
  paths: readonly BenchPath[],
): string {
  const values = groups
    .flatMap((g) => g.bars.flatMap((b) => [b.low, b.high]))
    .filter((v): v is number => v !== null && v > 0);
  const ceiling = 10 ** Math.ceil(Math.log10(Math.max(floor * 10, ...values)));
  const plotTop = top + 28 + LABEL_ROOM;
  const plotBottom = top + PANEL_HEIGHT - 44;
  const y = (v: number) => {
    const clamped = Math.max(floor, Math.min(ceiling, v));
    const t = (Math.log10(clamped) - Math.log10(floor)) / (Math.log10(ceiling) - Math.log10(floor));
    return plotBottom - t * (plotBottom - plotTop);
  };
  const out: string[] = [`<text x="${LEFT}" y="${top + 16}" class="title">${esc(title)}</text>`];
  for (let v = floor; v <= ceiling * 1.0001; v *= 10) {
    out.push(
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`,
      `<text x="${LEFT - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${num(v)}</text>`,
    );
  }
  const groupWidth = (WIDTH - LEFT - RIGHT) / groups.length;
  const barWidth = Math.min(26, (groupWidth - 24) / paths.length);
  groups.forEach((group, gi) => {
    const x0 = LEFT + gi * groupWidth + (groupWidth - barWidth * paths.length) / 2;
    group.bars.forEach((bar, bi) => {
      const x = x0 + bi * barWidth;
      const color = COLORS[bar.path];
      if (bar.high !== null && bar.high > 0) {
        out.push(
          `<rect x="${x + 1}" y="${y(bar.high)}" width="${barWidth - 2}" height="${plotBottom - y(bar.high)}" fill="${color}" opacity="0.35"/>`,
        );
      }
      if (bar.low !== null && bar.low > 0) {
        out.push(
          `<rect x="${x + 1}" y="${y(bar.low)}" width="${barWidth - 2}" height="${plotBottom - y(bar.low)}" fill="${color}"/>`,
        );
      }
      const topValue = Math.max(bar.high ?? 0, bar.low ?? 0);
      const labelY = topValue > 0 ? y(topValue) - 4 : plotBottom - 4;
      out.push(
        `<text transform="translate(${x + barWidth / 2 + 3},${labelY}) rotate(-90)" class="value">${esc(bar.label)}</text>`,
      );
    });
    out.push(
      `<text x="${LEFT + gi * groupWidth + groupWidth / 2}" y="${plotBottom + 16}" class="axis" text-anchor="middle">${esc(group.name)}</text>`,
    );
  });
  out.push(
    `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${plotBottom}" y2="${plotBottom}" class="base"/>`,
  );
  return out.join("\n");
}

/** The whole SVG document for `results`. */
export function benchChart(results: BenchResults): string {
  const paths = results.paths.map((p) => p.id);
  // Scenarios without read latencies (the forced race) have nothing to draw.
  const drawn = results.scenarios.filter((s) => paths.some((p) => s.metrics[p]?.p50 != null));
  const latency: Group[] = drawn.map((s) => ({
    name: SHORT[s.id] ?? s.id,
    bars: paths.map((path) => {
      const low = s.metrics[path]?.p50 ?? null;
      const high = s.metrics[path]?.p99 ?? null;
      return {
        path,
        low,
        high,
        label: low === null || high === null ? "n/a" : `${num(low)} / ${num(high)}`,
      };
    }),
  }));
  const queries: Group[] = drawn.map((s) => ({
    name: SHORT[s.id] ?? s.id,
    bars: paths.map((path) => {
      const v = pgPerThousand(s, path);
      return { path, low: v, high: null, label: v === null ? "n/a" : num(v) };
    }),
  }));
  const legendY = 14;
  const legendStep = 96;
  const legendX = WIDTH - RIGHT - paths.length * legendStep;
  const legend = paths
    .map(
      (p, i) =>
        `<rect x="${legendX + i * legendStep}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[p]}"/><text x="${legendX + 16 + i * legendStep}" y="${legendY}" class="axis">${PATH_NAMES[p]}</text>`,
    )
    .join("");
  const s = results.settings;
  const nodePaths = results.paths.filter((p) => p.host === "node").map((p) => PATH_NAMES[p.id]);
  const hosts = nodePaths.length === 0 ? "" : ` · ${nodePaths.join(", ")} in Node, not workerd`;
  const caption = `${results.date.slice(0, 10)} · Redis +${s.redisMs} ms, Postgres +${s.dbMs} ms per round trip · ${s.isolates} isolates${hosts} · ${results.machine.cpus} CPUs · Node ${results.machine.node}`;
  const height = 24 + PANEL_HEIGHT * 2 + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
.title{font-size:14px;font-weight:600;fill:#222}.axis{font-size:11px;fill:#444}.value{font-size:9px;fill:#333}
.grid{stroke:#e3e3e3;stroke-width:1}.base{stroke:#888;stroke-width:1}
</style>
<rect width="100%" height="100%" fill="#fff"/>
${legend}
${panel(24, "Read latency, ms (log scale): solid p50, light p99 · labels p50 / p99", latency, 1, paths)}
${panel(24 + PANEL_HEIGHT, "Postgres queries per 1000 reads (log scale; 0 shown as 0)", queries, 0.1, paths)}
<text x="${LEFT}" y="${height - 8}" class="axis">${esc(caption)}</text>
</svg>
`;
}
