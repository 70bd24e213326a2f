import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { neon } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { pointNeonAtLocal } from "./neon-config";
import { type NeonServer, startNeonServer } from "./server";

/** A stand-in TCP backend: records what arrives, answers "pong:<data>", closes on "bye". */
type FakeBackend = { port: number; sockets: Socket[]; received: Buffer[]; server: Server };

async function startFakeBackend(): Promise<FakeBackend> {
  const backend: FakeBackend = { port: 0, sockets: [], received: [], server: createServer() };
  backend.server.on("connection", (sock) => {
    backend.sockets.push(sock);
    sock.on("data", (data) => {
      backend.received.push(data);
      if (data.toString() === "bye") {
        sock.end();
      } else {
        sock.write(Buffer.concat([Buffer.from("pong:"), data]));
      }
    });
    sock.on("error", () => {});
  });
  backend.server.listen(0, "127.0.0.1");
  await once(backend.server, "listening");
  backend.port = (backend.server.address() as { port: number }).port;
  return backend;
}

let backend: FakeBackend;
let server: NeonServer;

beforeAll(async () => {
  backend = await startFakeBackend();
  server = await startNeonServer();
});

afterAll(async () => {
  await server?.close();
  for (const sock of backend?.sockets ?? []) {
    sock.destroy();
  }
  backend?.server.close();
});

function relayUrl(path = "/v2", address = `127.0.0.1:${backend.port}`): string {
  return `ws://${server.hostPort}${path}?address=${address}`;
}

/** A masked client binary frame (payload < 126 bytes). */
function clientFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]);
}

describe("WebSocket relay", () => {
  test("relays bytes that arrive in the same packet as the upgrade and answers in binary frames", async () => {
    const sock = connect(server.port, "127.0.0.1");
    await once(sock, "connect");
    const upgrade =
      `GET /v2?address=127.0.0.1:${backend.port} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    // The driver's StartupMessage follows the upgrade immediately; send both in one write.
    sock.write(Buffer.concat([Buffer.from(upgrade), clientFrame(Buffer.from("early"))]));
    let buf = Buffer.alloc(0);
    const expected = Buffer.from("pong:early");
    while (!buf.includes(expected)) {
      const [chunk] = (await once(sock, "data")) as [Buffer];
      buf = Buffer.concat([buf, chunk]);
    }
    const headerEnd = buf.indexOf("\r\n\r\n") + 4;
    expect(buf.subarray(0, 12).toString()).toBe("HTTP/1.1 101");
    expect(buf.subarray(0, headerEnd).toString().toLowerCase()).not.toContain(
      "sec-websocket-extensions",
    );
    // 0x82 = final binary frame, unmasked, payload length 10.
    expect([...buf.subarray(headerEnd, headerEnd + 2)]).toEqual([0x82, expected.length]);
    expect(buf.subarray(headerEnd + 2, headerEnd + 2 + expected.length)).toEqual(expected);
    sock.destroy();
  });

  test("closes the WebSocket with 1000 when the TCP side closes", async () => {
    const client = new WebSocket(relayUrl("/v1"));
    await once(client, "open");
    client.send(Buffer.from("bye"));
    const [code] = (await once(client, "close")) as [number];
    expect(code).toBe(1000);
  });

  test("closes the TCP connection when the WebSocket closes", async () => {
    const before = backend.sockets.length;
    const client = new WebSocket(relayUrl());
    await once(client, "open");
    client.send(Buffer.from("hello"));
    await once(client, "message");
    const tcp = backend.sockets[before];
    expect(tcp).toBeDefined();
    const ended = once(tcp as Socket, "end");
    client.close(1000);
    await ended;
  });

  test("refuses addresses outside the allow-list and unknown paths", async () => {
    const denied = new WebSocket(relayUrl("/v2", "10.1.2.3:5432"));
    denied.on("error", () => {});
    const [, res] = (await once(denied, "unexpected-response")) as [
      unknown,
      { statusCode: number },
    ];
    expect(res.statusCode).toBe(403);
    const unknown = new WebSocket(relayUrl("/v3"));
    const [err] = (await once(unknown, "error")) as [Error];
    expect(err.message).toMatch(/socket hang up|ECONNRESET|closed/i);
  });

  test("closes with 1011 when the target refuses the TCP connection", async () => {
    const closedPort = backend.port === 1 ? 2 : 1;
    const client = new WebSocket(relayUrl("/v2", `127.0.0.1:${closedPort}`));
    const [code] = (await once(client, "close")) as [number];
    expect(code).toBe(1011);
  });
});

describe("fixed upstream", () => {
  test("sends every relay and /sql connection to the upstream whatever host the client names", async () => {
    const pinned = await startNeonServer({ upstream: { host: "127.0.0.1", port: backend.port } });
    try {
      const client = new WebSocket(
        `ws://${pinned.hostPort}/v2?address=ep-example.us-east-2.aws.neon.tech:5432`,
      );
      await once(client, "open");
      client.send(Buffer.from("via-upstream"));
      const [data] = (await once(client, "message")) as [Buffer];
      expect(data.toString()).toBe("pong:via-upstream");
      client.close();
    } finally {
      await pinned.close();
    }
    const pg = await startNeonServer({ upstream: { host: "127.0.0.1", port: 5432 } });
    try {
      pointNeonAtLocal(pg.hostPort);
      const sql = neon(
        "postgresql://postgres:postgres@ep-example.us-east-2.aws.neon.tech/postgres",
      );
      await expect(sql`SELECT current_database() AS db`).resolves.toEqual([{ db: "postgres" }]);
    } finally {
      await pg.close();
    }
  });
});
