/**
 * The client side inside workerd: a Worker bundling `@upstash/redis/cloudflare` talks to the
 * emulator from Miniflare, exactly as the application will.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, toJs } from "./test-support";

const WORKER_SOURCE = `
import { Redis } from "@upstash/redis/cloudflare";

export default {
  async fetch(request, env) {
    const redis = Redis.fromEnv(env);
    const k = (name) => env.PREFIX + ":" + name;
    const out = {};
    out.set = await redis.set(k("doc"), { hello: "wörld 🌍" });
    out.get = await redis.get(k("doc"));
    out.incrs = await Promise.all([redis.incr(k("n")), redis.incr(k("n")), redis.incr(k("n"))]);
    out.multi = await redis.multi().set(k("m"), "OK").get(k("m")).exec();
    out.script = await redis.createScript("return {ARGV[1], 7}").exec([], ["from workerd"]);
    try {
      await redis.lpush(k("doc"), "x");
    } catch (error) {
      out.error = error.message;
    }
    const plain = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN,
      enableAutoPipelining: false, responseEncoding: false });
    out.plain = await plain.mget(k("m"), k("missing"));
    return Response.json(out);
  },
};
`;

let h: Harness;
let mf: Miniflare;
beforeAll(async () => {
  h = await startHarness();
  const bundle = await build({
    stdin: {
      contents: WORKER_SOURCE,
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2026-07-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: {
      UPSTASH_REDIS_REST_URL: h.server.url,
      UPSTASH_REDIS_REST_TOKEN: h.server.token,
      PREFIX: h.key("workerd"),
    },
  });
});
afterAll(async () => {
  await mf?.dispose();
  await h?.close();
});

describe("@upstash/redis/cloudflare inside workerd", () => {
  it("reads, writes, pipelines, runs transactions and scripts against the emulator", async () => {
    const res = await mf.dispatchFetch("http://worker.test/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      set: "OK",
      get: { hello: "wörld 🌍" },
      incrs: [1, 2, 3],
      multi: ["OK", "OK"],
      script: ["from workerd", 7],
      error: "Command failed: WRONGTYPE Operation against a key holding the wrong kind of value",
      plain: ["OK", null],
    });
    expect(toJs(await h.run("GET", h.key("workerd:doc")))).toBe('{"hello":"wörld 🌍"}');
  });
});
