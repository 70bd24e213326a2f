import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeCommand,
  parseRedisUrl,
  RedisConnectionError,
  RespClient,
  RespParser,
  RespProtocolError,
  type RespReply,
} from "./resp-client";
import { closedPort, deleteByPrefix, TEST_REDIS_URL, toJs } from "./test-support";

function parseAll(chunks: Buffer[]): RespReply[] {
  const replies: RespReply[] = [];
  const parser = new RespParser((reply) => replies.push(reply));
  for (const chunk of chunks) {
    parser.push(chunk);
  }
  return replies;
}

const SAMPLE = Buffer.concat([
  Buffer.from("+OK\r\n-ERR bad thing\r\n:42\r\n:-7\r\n$-1\r\n*-1\r\n$0\r\n\r\n*0\r\n", "latin1"),
  Buffer.from("*3\r\n$2\r\n\xff\x00\r\n*2\r\n:1\r\n-WRONGTYPE x\r\n+QUEUED\r\n", "latin1"),
]);

describe("RespParser", () => {
  it("keeps each reply kind apart: status, error value, integer, nil, empty, nested arrays", () => {
    const replies = parseAll([SAMPLE]);
    expect(replies.map((r) => r.kind)).toEqual([
      "status",
      "error",
      "integer",
      "integer",
      "nil",
      "nil",
      "bulk",
      "array",
      "array",
    ]);
    expect(replies[1]).toEqual({ kind: "error", message: "ERR bad thing" });
    expect(replies[3]).toEqual({ kind: "integer", value: -7 });
    expect(replies[8]).toEqual({
      kind: "array",
      items: [
        { kind: "bulk", value: Buffer.from([0xff, 0x00]) },
        {
          kind: "array",
          items: [
            { kind: "integer", value: 1 },
            { kind: "error", message: "WRONGTYPE x" },
          ],
        },
        { kind: "status", value: "QUEUED" },
      ],
    });
  });

  it("gives the same replies when the bytes arrive one at a time", () => {
    const bytewise = [...SAMPLE].map((byte) => Buffer.from([byte]));
    expect(parseAll(bytewise)).toEqual(parseAll([SAMPLE]));
  });

  it("keeps bulk strings as raw bytes, CRLF inside the payload included", () => {
    const payload = Buffer.from([0x0d, 0x0a, 0x80, 0xfe, 0x0d]);
    const wire = Buffer.concat([Buffer.from("$5\r\n"), payload, Buffer.from("\r\n")]);
    expect(parseAll([wire.subarray(0, 6), wire.subarray(6)])).toEqual([
      { kind: "bulk", value: payload },
    ]);
  });

  it("rejects a byte stream that is not RESP", () => {
    expect(() => parseAll([Buffer.from("?what\r\n")])).toThrow(RespProtocolError);
  });

  it("encodes commands as arrays of bulk strings with byte lengths", () => {
    expect(encodeCommand(["SET", "k", "é"]).toString("latin1")).toBe(
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n",
    );
  });
});

describe("parseRedisUrl", () => {
  it("reads host, port, database, user and password", () => {
    expect(parseRedisUrl("redis://u%40x:p%3Aw@10.0.0.2:6380/3")).toEqual({
      host: "10.0.0.2",
      port: 6380,
      db: 3,
      username: "u@x",
      password: "p:w",
    });
    expect(parseRedisUrl("redis://localhost")).toEqual({ host: "localhost", port: 6379, db: 0 });
  });

  it("refuses other schemes and non-numeric databases", () => {
    expect(() => parseRedisUrl("rediss://h:1")).toThrow(TypeError);
    expect(() => parseRedisUrl("redis://h:1/x")).toThrow(TypeError);
  });
});

describe("RespClient against the local Redis", () => {
  const prefix = `upstash-rest-test:resp:${process.pid}:${Date.now()}`;
  let client: RespClient;
  beforeAll(() => {
    client = new RespClient(TEST_REDIS_URL, { poolSize: 2 });
  });
  afterAll(async () => {
    await deleteByPrefix(client, prefix);
    await client.close();
  });

  it("answers pipelined commands in order, error replies as values", async () => {
    const key = `${prefix}:list`;
    const replies = await client.sendMany([
      ["RPUSH", key, "a", "b"],
      ["INCR", key],
      ["LRANGE", key, "0", "-1"],
    ]);
    expect(replies.map(toJs)).toEqual([
      2,
      { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
      ["a", "b"],
    ]);
  });

  it("selects the database named in the URL", async () => {
    const db5 = new RespClient(`${TEST_REDIS_URL.replace(/\/\d+$/, "")}/5`);
    try {
      const key = `${prefix}:db`;
      await db5.send(["SET", key, "in-5"]);
      expect(toJs(await client.send(["EXISTS", key]))).toBe(0);
      expect(toJs(await db5.send(["GET", key]))).toBe("in-5");
      await db5.send(["DEL", key]);
    } finally {
      await db5.close();
    }
  });

  it("reconnects after Redis drops a pooled connection", async () => {
    const single = new RespClient(TEST_REDIS_URL, { poolSize: 1 });
    try {
      const id = toJs(await single.send(["CLIENT", "ID"]));
      expect(toJs(await client.send(["CLIENT", "KILL", "ID", String(id)]))).toBe(1);
      // The kill may race the next write: at most one failure, then a fresh connection.
      const next = await single.send(["CLIENT", "ID"]).catch((e: unknown) => e);
      const after =
        next instanceof RedisConnectionError
          ? toJs(await single.send(["CLIENT", "ID"]))
          : toJs(next as RespReply);
      expect(after).not.toBe(id);
      expect(typeof after).toBe("number");
    } finally {
      await single.close();
    }
  });

  it("lends each transaction its own connection, so concurrent MULTI blocks never nest", async () => {
    const keys = [1, 2, 3, 4, 5, 6].map((i) => `${prefix}:tx${i}`);
    const results = await Promise.all(
      keys.map((key) =>
        client.withDedicated((connection) =>
          connection.sendMany([["MULTI"], ["SET", key, "v"], ["GET", key], ["EXEC"]]),
        ),
      ),
    );
    for (const replies of results) {
      expect(replies.map(toJs)).toEqual(["OK", "QUEUED", "QUEUED", ["OK", "v"]]);
    }
  });

  it("fails with RedisConnectionError when nothing listens", async () => {
    const port = await closedPort();
    const dead = new RespClient(`redis://127.0.0.1:${port}`);
    await expect(dead.send(["PING"])).rejects.toBeInstanceOf(RedisConnectionError);
    await dead.close();
  });
});
