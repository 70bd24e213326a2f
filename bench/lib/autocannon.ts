/** Runs the `autocannon` CLI in its own process (so the load generator is not this process). */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const AUTOCANNON = join(
  dirname(createRequire(import.meta.url).resolve("autocannon/package.json")),
  "autocannon.js",
);

/** The parts of autocannon's JSON result the bench uses. */
export type LoadResult = {
  /** 2xx answers per second (failed requests do not count as throughput). */
  requestsPerSecond: number;
  /** Every answer per second, as autocannon reports it. */
  allResponsesPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
};

type AutocannonJson = {
  requests: { average: number; total: number };
  duration: number;
  "2xx": number;
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
};

/** `autocannon -c connections -d seconds -j url`. */
export async function loadTest(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const args = [AUTOCANNON, "-c", String(connections), "-d", String(seconds), "-j", url];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err = (err + chunk.toString("utf8")).slice(-2000);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) {
    throw new Error(`autocannon exited with ${code}: ${err}`);
  }
  const json = JSON.parse(out) as AutocannonJson;
  return {
    requestsPerSecond: json["2xx"] / json.duration,
    allResponsesPerSecond: json.requests.average,
    latencyP50Ms: json.latency.p50,
    latencyP99Ms: json.latency.p99,
    total: json.requests.total,
    non2xx: json.non2xx,
    errors: json.errors,
  };
}
