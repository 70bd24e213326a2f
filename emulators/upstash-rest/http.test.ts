/**
 * The HTTP surface: routes, auth, body handling, encodings and argument conversion, checked with raw
 * `fetch` where the exact wire form matters and with the real client where its behaviour does.
 */
import { connect } from "node:net";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashRestServer } from "./server";
import {
  closedPort,
  type Harness,
  postJson,
  redisErrorText,
  startHarness,
  TEST_REDIS_URL,
  toJs,
} from "./test-support";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const BASE64 = { "Upstash-Encoding": "base64" };
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("routes and authentication", () => {
  it("answers 401 JSON to a wrong or missing token, and the client throws", async () => {
    for (const authorization of ["Bearer nope", "", `Basic ${h.server.token}`]) {
      const res = await fetch(h.server.url, {
        method: "POST",
        headers: { authorization },
        body: "[]",
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: expect.stringMatching(/^Unauthorized/) });
    }
    const intruder = new Redis({ url: h.server.url, token: "wrong", enableAutoPipelining: false });
    await expect(intruder.get(h.key("x"))).rejects.toThrow(/Unauthorized/);
  });

  it("answers JSON 404 for unknown paths and 405 for other methods", async () => {
    const notFound = await postJson(h.server, "/get/key", []);
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ error: expect.stringContaining("/get/key") });
    const get = await fetch(`${h.server.url}/pipeline`);
    expect(get.status).toBe(405);
    expect(await get.json()).toEqual({ error: expect.any(String) });
  });

  it("parses the body as JSON whatever the Content-Type, and rejects malformed JSON with 400", async () => {
    const plain = await postJson(h.server, "/", ["echo", "hi"], { "content-type": "text/plain" });
    expect(plain).toMatchObject({ status: 200, body: { result: "hi" } });
    const broken = await postJson(h.server, "/", '["get",');
    expect(broken).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^ERR/) } });
    const notArray = await postJson(h.server, "/pipeline", { cmd: "get" });
    expect(notArray).toMatchObject({ status: 400, body: { error: expect.any(String) } });
  });

  it("answers malformed HTTP with a JSON 400 too", async () => {
    const socket = connect(h.server.port, "127.0.0.1");
    socket.end("NOT HTTP AT ALL\r\n\r\n");
    const chunks: Buffer[] = [];
    for await (const chunk of socket) {
      chunks.push(chunk as Buffer);
    }
    const [head = "", body = ""] = Buffer.concat(chunks).toString("utf8").split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(body)).toEqual({
      error: expect.stringMatching(/^ERR malformed HTTP request/),
    });
  });

  it("echoes a fresh upstash-sync-token on every response, errors included", async () => {
    const first = await postJson(h.server, "/", ["ping"]);
    const second = await postJson(h.server, "/nowhere", []);
    const a = Number(first.headers.get("upstash-sync-token"));
    const b = Number(second.headers.get("upstash-sync-token"));
    expect(b).toBeGreaterThan(a);
    const redis = h.client({ enableAutoPipelining: false });
    await redis.ping();
    expect(redis.readYourWritesSyncToken).toMatch(/^\d+$/);
  });

  it("answers 500 JSON when Redis is unreachable, and the client throws that text", async () => {
    const port = await closedPort();
    const server = await startUpstashRestServer({
      redisUrl: `redis://127.0.0.1:${port}`,
      token: "t",
    });
    try {
      const res = await postJson({ ...server, token: "t" }, "/", ["get", "k"]);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ error: expect.stringContaining("cannot reach Redis") });
      const redis = new Redis({ url: server.url, token: "t", enableAutoPipelining: false });
      await expect(redis.get("k")).rejects.toThrow(/cannot reach Redis/);
    } finally {
      await server.close();
    }
  });
  it("answers 413 JSON to an oversized body and keeps serving", async () => {
    const server = await startUpstashRestServer({
      redisUrl: TEST_REDIS_URL,
      token: "t",
      maxBodyBytes: 1024,
    });
    try {
      const redis = new Redis({ url: server.url, token: "t", enableAutoPipelining: false });
      const error = await redis.set(h.key("huge"), "x".repeat(64 * 1024)).catch(redisErrorText);
      expect(error).toBe("ERR request body exceeds 1024 bytes");
      expect(await redis.echo("still here")).toBe("still here");
      expect(toJs(await h.run("EXISTS", h.key("huge")))).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe("response encoding", () => {
  it("always has the result key, null for nil", async () => {
    const res = await fetch(h.server.url, {
      method: "POST",
      headers: { authorization: `Bearer ${h.server.token}`, ...BASE64 },
      body: JSON.stringify(["get", h.key("never-set")]),
    });
    expect(await res.text()).toBe('{"result":null}');
  });

  it("base64-encodes every string at any depth, status replies and OK included; numbers stay numbers", async () => {
    const k = h.key("enc");
    const res = await postJson(
      h.server,
      "/pipeline",
      [
        ["set", k, "v"],
        ["type", k],
        ["eval", "return {'OK', redis.status_reply('OK'), 7, {'x'}}", 0],
        ["strlen", k],
        ["incr", k],
      ],
      BASE64,
    );
    expect(res.body).toEqual([
      { result: b64("OK") },
      { result: b64("string") },
      { result: [b64("OK"), b64("OK"), 7, [b64("x")]] },
      { result: 1 },
      { error: "ERR value is not an integer or out of range" },
    ]);
  });

  it("encodes raw bytes, not their UTF-8 reading, and sends text without the header", async () => {
    const k = h.key("binary");
    const bytes = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x41]);
    await h.direct.send(["SET", k, bytes]);
    const encoded = await postJson(h.server, "/", ["get", k], BASE64);
    expect(encoded.body).toEqual({ result: bytes.toString("base64") });
    const plain = await postJson(h.server, "/", ["get", k]);
    expect(plain.body).toEqual({ result: bytes.toString("utf8") });
    const client = h.client({ automaticDeserialization: false });
    expect(await client.get(k)).toBe(bytes.toString("utf8")); // U+FFFD where bytes are not UTF-8
  });

  it("round-trips emoji and OK-valued strings through a client without base64", async () => {
    const redis = h.client({ responseEncoding: false, automaticDeserialization: false });
    const [a, b] = [h.key("plain-a"), h.key("plain-b")];
    await redis.mset({ [a]: "OK", [b]: "héllo 🌍" });
    expect(await redis.mget(a, b)).toEqual(["OK", "héllo 🌍"]);
    expect(await redis.pipeline().set(a, "x").set(b, "y").exec()).toEqual(["OK", "OK"]);
  });
});

describe("argument conversion", () => {
  it("sends numbers as their JSON text, booleans as true/false and null as the empty string", async () => {
    const k = h.key("args");
    const res = await postJson(h.server, "/pipeline", [
      ["rpush", k, 1, 1.5, 1e21, -0.25, true, false, null, "s"],
      ["lrange", k, 0, -1],
    ]);
    expect(res.body).toEqual([
      { result: 8 },
      { result: ["1", "1.5", "1e+21", "-0.25", "true", "false", "", "s"] },
    ]);
  });

  it("rejects objects, nested arrays and empty commands with a per-command error", async () => {
    const res = await postJson(h.server, "/pipeline", [
      ["set", h.key("o"), { a: 1 }],
      [],
      "get",
      ["echo", "still runs"],
    ]);
    expect(res.body).toEqual([
      { error: expect.stringMatching(/^ERR argument 2/) },
      { error: expect.stringMatching(/^ERR a command must be/) },
      { error: expect.stringMatching(/^ERR a command must be/) },
      { result: "still runs" },
    ]);
  });

  it("refuses blocking and connection-state commands, but not their harmless relatives", async () => {
    const refused = [
      ["subscribe", "ch"],
      ["select", 1],
      ["multi"],
      ["exec"],
      ["watch", h.key("w")],
      ["blpop", h.key("q"), 0],
      ["monitor"],
      ["client", "setname", "x"],
      ["xread", "BLOCK", 0, "STREAMS", h.key("s"), "$"],
    ];
    for (const command of refused) {
      const res = await postJson(h.server, "/", command);
      expect(res, String(command[0])).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining("not supported over REST") },
      });
    }
    const xread = await postJson(h.server, "/", ["xread", "STREAMS", h.key("s"), "0"]);
    expect(xread.body).toEqual({ result: null });
  });

  it("passes the Redis error text through unchanged", async () => {
    const redis = h.client({ enableAutoPipelining: false });
    const direct = await h.direct.send(["NOSUCHCOMMAND", "x"]);
    const viaClient = await redis.exec(["NOSUCHCOMMAND", "x"]).catch(redisErrorText);
    expect(direct.kind === "error" && direct.message).toBe(viaClient);
  });
});
