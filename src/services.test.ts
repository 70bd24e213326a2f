import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";
import { createLogger } from "./log";
import { buildServices } from "./services";

const env = {
  DATABASE_URL: "postgres://user:s3cret@db.example/app",
  UPSTASH_REDIS_REST_URL: "https://redis.example",
  UPSTASH_REDIS_REST_TOKEN: "tok3n",
  API_TOKEN: "api-t0ken",
};
const background = { waitUntil: () => {} };

function twoRequests(readConsistency: "strong" | "nearest") {
  const parsed = parseEnv({ ...env, READ_CONSISTENCY: readConsistency });
  if (!parsed.ok) {
    throw new Error(parsed.problems.join("; "));
  }
  const build = () => buildServices(parsed.config, background, createLogger({ test: "services" }));
  return [build(), build()] as const;
}

describe("buildServices", () => {
  it("keeps each nearest request's read-your-writes position to that request", () => {
    const [first, second] = twoRequests("nearest");

    // A bookmarked read sets its sync token on its request's client.
    first.redis.readYourWritesSyncToken = "position-of-first";

    expect(second.redis.readYourWritesSyncToken).toBe("");
  });

  it("shares one stateless Upstash client and the key builders among strong requests", () => {
    const [first, second] = twoRequests("strong");

    expect(second.redis).toBe(first.redis);
    expect(second.keys).toBe(first.keys);
    expect(second.cache).not.toBe(first.cache);
  });
});
