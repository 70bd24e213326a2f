/** How the reports name the paths of a run (the run's JSON says which ran, and where). */
import type { BenchHost, BenchPath } from "../protocol";

/** A path of a run as `latest.json` records it. */
export type PathInfo = { id: BenchPath; host: BenchHost; version?: string };

/** Short names. */
export const PATH_NAMES: Readonly<Record<BenchPath, string>> = {
  nocache: "no cache",
  naive: "naive",
  core: "core",
  cachified: "cachified",
  bentocache: "bentocache",
};

/** The column heading of a path: its name, its package version, and where it ran if not workerd. */
export function columnLabel(path: PathInfo): string {
  const name = PATH_NAMES[path.id];
  const versioned = path.version === undefined ? name : `${name} ${path.version}`;
  return path.host === "node" ? `${versioned} (Node, not workerd)` : versioned;
}
