/**
 * The throughput ceiling: a Worker that makes one Upstash GET (with the project's client settings,
 * `src/redis/upstash.ts`) and nothing else, on the same stack as the Worker measured against it.
 */
import { Redis } from "@upstash/redis/cloudflare";
import { upstashClientOptions } from "lease-cache/upstash";

type Env = {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  CACHE_KEY_PREFIX?: string;
};

export default {
  async fetch(_request, env) {
    const redis = new Redis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      // A ceiling must not fail: under full load a GET can take longer than the API's 150 ms.
      ...upstashClientOptions({ timeoutMs: 10_000 }),
    });
    const value = await redis.get<string>(`${env.CACHE_KEY_PREFIX ?? "v1"}:bare`);
    return new Response(value ?? "", { status: 200 });
  },
} satisfies ExportedHandler<Env>;
