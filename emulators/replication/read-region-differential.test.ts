/**
 * Faithfulness with a read region: every differential case (`upstash-rest/cases/`) through the
 * real `@upstash/redis` client and a server whose reads go to a replica lagging 5 ms, compared
 * with the same commands sent straight to the primary. The client keeps its default
 * `readYourWrites`, so every read that follows a write carries a sync token and must wait for the
 * replica: any token the server mishandles shows up as a stale read, that is, a differing result.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASH_CASES } from "../upstash-rest/cases/hashes";
import { KEY_CASES } from "../upstash-rest/cases/keys";
import { LIST_CASES } from "../upstash-rest/cases/lists";
import { SCRIPT_CASES } from "../upstash-rest/cases/scripts";
import { SET_CASES } from "../upstash-rest/cases/sets";
import { ZSET_CASES } from "../upstash-rest/cases/sorted-sets";
import { MISC_CASES } from "../upstash-rest/cases/streams-geo-hll";
import { STRING_CASES } from "../upstash-rest/cases/strings";
import { type Case, type Key, withoutPrefix } from "../upstash-rest/differential-support";
import { RespClient } from "../upstash-rest/resp-client";
import { startUpstashRestServer, type UpstashRestServer } from "../upstash-rest/server";
import { redisErrorText, toJs } from "../upstash-rest/test-support";
import { type RedisPair, startRedisPair } from "./redis-pair";

const CASES: Case[] = [
  ...STRING_CASES,
  ...KEY_CASES,
  ...HASH_CASES,
  ...LIST_CASES,
  ...SET_CASES,
  ...ZSET_CASES,
  ...MISC_CASES,
  ...SCRIPT_CASES,
];
const TOKEN = `rr-diff-${randomBytes(6).toString("hex")}`;
const LAG_MS = 5;

let pair: RedisPair;
let server: UpstashRestServer;
let direct: RespClient;

beforeAll(async () => {
  pair = await startRedisPair({ lagMs: LAG_MS });
  server = await startUpstashRestServer({
    redisUrl: pair.primaryUrl,
    replicaUrl: pair.replicaUrl,
    token: TOKEN,
    syncWaitMs: 10_000,
  });
  direct = new RespClient(pair.primaryUrl);
});

afterAll(async () => {
  await server?.close();
  await direct?.close();
  await pair?.close();
});

async function settle(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error: unknown) {
    return { error: redisErrorText(error) };
  }
}

describe.each([{ autoPipelining: true }, { autoPipelining: false }])(
  "through a read region lagging 5 ms, auto-pipelining $autoPipelining",
  ({ autoPipelining }) => {
    for (const testCase of CASES) {
      it(`agrees with the primary on ${testCase.name}`, async () => {
        const redis = new Redis({
          url: server.url,
          token: TOKEN,
          enableTelemetry: false,
          enableAutoPipelining: autoPipelining,
          automaticDeserialization: false,
        });
        const base = `rr-diff:${autoPipelining ? "auto" : "plain"}:${testCase.name.replace(/\W+/g, "-")}`;
        const viaPrefix = `${base}:via`;
        const directPrefix = `${base}:direct`;
        const kVia: Key = (name) => `${viaPrefix}:${name}`;
        const kDirect: Key = (name) => `${directPrefix}:${name}`;
        for (const [index, step] of testCase.steps.entries()) {
          const command = step.direct(kDirect);
          const normalize = step.normalize ?? ((value: unknown) => value);
          const expected = normalize(
            withoutPrefix(toJs(await direct.send(command.map(String))), directPrefix),
          );
          const actual = normalize(
            withoutPrefix(await settle(() => step.client(redis, kVia)), viaPrefix),
          );
          expect(actual, `step ${index}: ${command.join(" ")}`).toEqual(expected);
        }
      });
    }
  },
);

describe("routing during the differential run", () => {
  it("sent reads to the replica, made some of them wait for their token, and never fell back", () => {
    const stats = server.replica?.stats;
    console.info(`read-region differential routing: ${JSON.stringify(stats)}`);
    expect(stats?.replica).toBeGreaterThan(100);
    expect(stats?.waited).toBeGreaterThan(50);
    expect(stats?.fellBack).toBe(0);
  });
});
