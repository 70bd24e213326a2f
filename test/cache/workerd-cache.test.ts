import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CacheResult } from "lease-cache";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bundleWorker } from "../../harness/bundle-worker";
import { type Origin, startOrigin } from "./fixtures/origin";
import { startUpstashSubject, type UpstashSubject } from "./upstash-subject";

let subject: UpstashSubject;
let origin: Origin;
let script: string;
let outDir: string;
const isolates: Miniflare[] = [];

beforeAll(async () => {
  subject = await startUpstashSubject();
  outDir = await mkdtemp(join(tmpdir(), "cache-worker-"));
  script = await readFile(
    await bundleWorker("test/cache/fixtures/cache-worker.ts", outDir),
    "utf8",
  );
});
beforeEach(async () => {
  origin = await startOrigin();
  return async () => {
    await Promise.all(isolates.splice(0).map((mf) => mf.dispose()));
    await origin.close();
  };
});
afterAll(async () => {
  await subject.close();
  await rm(outDir, { recursive: true, force: true });
});

function startIsolate(): Miniflare {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2026-07-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      UPSTASH_URL: subject.server.url,
      UPSTASH_TOKEN: subject.server.token,
      ORIGIN_URL: origin.url,
    },
  });
  isolates.push(mf);
  return mf;
}

async function within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(
  mf: Miniflare,
  key: string,
  signal?: AbortSignal,
): Promise<CacheResult<unknown>> {
  const response = await mf.dispatchFetch(
    `http://cache.test/?key=${encodeURIComponent(key)}`,
    signal ? { signal } : {},
  );
  expect(response.status).toBe(200);
  return (await response.json()) as CacheResult<unknown>;
}

describe("the cache core inside workerd", () => {
  it("loads a cold key once in total when separate isolates stampede it", async () => {
    const key = `${subject.prefix}:stampede`;
    const perIsolate = 30;
    const mfs = [startIsolate(), startIsolate(), startIsolate()];
    const reads = mfs.flatMap((mf) => Array.from({ length: perIsolate }, () => read(mf, key)));
    await origin.arrived(key, mfs.length * perIsolate);
    origin.openGate();

    const results = await Promise.all(reads);

    expect(origin.loads(key)).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r.loaded))).size).toBe(1);
    expect(Math.max(...results.map((r) => r.outcome.redisCalls))).toBeLessThanOrEqual(10);
    const statuses = new Set(results.map((r) => r.outcome.status));
    expect(statuses.has("miss")).toBe(true);
  });

  it("keeps serving requests queued behind a batch whose first request has already ended", async () => {
    const key = `${subject.prefix}:ended-leader`;
    const mf = startIsolate();
    const leader = await mf.dispatchFetch(
      `http://cache.test/?key=${encodeURIComponent(key)}&detach=1`,
    );
    expect(leader.status).toBe(202);
    // If the cache did not keep its shared work alive, it died with the leader's context and the
    // load never starts.
    await within(2_000, origin.loading(key), "the ended request's load never started");
    const followers = Array.from({ length: 4 }, () => read(mf, key));
    await origin.arrived(key, 5);
    origin.openGate();

    const results = await Promise.all(followers);

    expect(origin.loads(key)).toBe(1);
    for (const result of results) {
      expect(result.loaded).toEqual({ found: true, value: { key, load: 1 } });
    }
    expect(results.map((r) => r.outcome.status).sort()).toEqual([
      "coalesced",
      "coalesced",
      "coalesced",
      "hit",
    ]);
  });
});
