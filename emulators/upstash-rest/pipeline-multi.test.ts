/**
 * `/pipeline` and `/multi-exec` through the real client: order, per-command errors, `OK` inside
 * arrays, runtime errors inside EXEC, EXECABORT, and isolation of concurrent transactions.
 */
import { errors } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, postJson, redisErrorText, startHarness, toJs } from "./test-support";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER = "ERR value is not an integer or out of range";

describe("pipelines", () => {
  it("answers a failing command in the middle per command, and runs the rest in order", async () => {
    const [k, n] = [h.key("p:str"), h.key("p:num")];
    const redis = h.client({ automaticDeserialization: false });
    const results = await redis
      .pipeline()
      .set(k, "text")
      .incr(k)
      .set(n, 1)
      .incr(n)
      .get(n)
      .exec({ keepErrors: true });
    expect(results).toEqual([
      { result: "OK", error: undefined },
      { result: undefined, error: NOT_INTEGER },
      { result: "OK", error: undefined },
      { result: 2, error: undefined },
      { result: "2", error: undefined },
    ]);
    // Without keepErrors the client throws for the first failing entry, after all of them ran.
    await expect(redis.pipeline().incr(k).incr(n).exec()).rejects.toThrow(
      `Command 1 [ incr ] failed: ${NOT_INTEGER}`,
    );
    expect(toJs(await h.run("GET", n))).toBe("3");
  });

  it("rejects only the failing caller's promise when commands are auto-pipelined together", async () => {
    const [k, n] = [h.key("ap:str"), h.key("ap:num")];
    const redis = h.client({ automaticDeserialization: false });
    await redis.set(k, "text");
    const outcomes = await Promise.allSettled([redis.incr(n), redis.incr(k), redis.incr(n)]);
    expect(
      outcomes.map((o) => (o.status === "fulfilled" ? o.value : redisErrorText(o.reason))),
    ).toEqual([1, NOT_INTEGER, 2]);
  });

  it("decodes OK inside pipeline results (all strings are base64, OK included)", async () => {
    const redis = h.client();
    const a = h.key("ok:a");
    expect(
      await redis.pipeline().set(a, 1).set(a, 2, { get: true }).set(a, "OK").get(a).exec(),
    ).toEqual(["OK", 1, "OK", "OK"]);
  });
});

describe("multi-exec", () => {
  it("applies a transaction atomically and returns OK inside the result array", async () => {
    const redis = h.client();
    const [a, b] = [h.key("m:a"), h.key("m:b")];
    expect(await redis.multi().set(a, "x").set(b, { y: 1 }).get(b).exec()).toEqual([
      "OK",
      "OK",
      { y: 1 },
    ]);
  });

  it("maps a runtime error inside EXEC to that entry; the other commands still apply", async () => {
    const redis = h.client({ automaticDeserialization: false });
    const [list, counter] = [h.key("m:list"), h.key("m:counter")];
    await redis.rpush(list, "a");
    const results = await redis
      .multi()
      .incr(counter)
      .incr(list)
      .incr(counter)
      .exec({ keepErrors: true });
    expect(results).toEqual([
      { result: 1, error: undefined },
      { result: undefined, error: WRONGTYPE },
      { result: 2, error: undefined },
    ]);
    await expect(redis.multi().incr(list).exec()).rejects.toThrow(
      `Command 1 [ incr ] failed: ${WRONGTYPE}`,
    );
  });

  it("answers a queue-time error with 400 EXECABORT and applies nothing", async () => {
    const redis = h.client({ automaticDeserialization: false });
    const [a, hash] = [h.key("abort:a"), h.key("abort:h")];
    // hset with no field/value pairs has the wrong arity: Redis refuses it while queueing.
    const error = await redis
      .multi()
      .set(a, "1")
      .hset(hash, {})
      .exec()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.UpstashError);
    expect(redisErrorText(error)).toBe(
      "EXECABORT Transaction discarded because of previous errors.",
    );
    expect(toJs(await h.run("EXISTS", a))).toBe(0);
    const raw = await postJson(h.server, "/multi-exec", [["set", a, "1"], ["nosuchcommand"]]);
    expect(raw).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^EXECABORT/) },
    });
  });

  it("refuses a transaction containing a command that is not allowed over REST, before running it", async () => {
    const a = h.key("refused:a");
    const res = await postJson(h.server, "/multi-exec", [["set", a, "1"], ["exec"]]);
    expect(res).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining("not supported") },
    });
    expect(toJs(await h.run("EXISTS", a))).toBe(0);
  });

  it("never interleaves concurrent transactions", async () => {
    const redis = h.client({ automaticDeserialization: false });
    const [counter, log] = [h.key("iso:counter"), h.key("iso:log")];
    const ids = Array.from({ length: 24 }, (_, i) => `t${i}`);
    const results = await Promise.all(
      ids.map((id) =>
        redis
          .multi()
          .rpush(log, `${id}:begin`)
          .incr(counter)
          .get(counter)
          .rpush(log, `${id}:end`)
          .exec(),
      ),
    );
    for (const [, incremented, read] of results) {
      // Another transaction's INCR between these two would make them differ.
      expect(String(incremented)).toBe(read);
    }
    const entries = toJs(await h.run("LRANGE", log, 0, -1)) as string[];
    expect(entries).toHaveLength(ids.length * 2);
    for (let i = 0; i < entries.length; i += 2) {
      const id = entries[i]?.replace(/:begin$/, "");
      expect(entries[i + 1]).toBe(`${id}:end`);
    }
  });
});
