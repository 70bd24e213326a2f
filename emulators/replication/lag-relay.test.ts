/**
 * The lag relay over plain TCP: a target server the test drives, a client connected through the
 * relay, and arrival times measured on both sides.
 */
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type LagRelay, startLagRelay } from "./lag-relay";

/** The target: hands each accepted socket to the test. */
type Target = { server: Server; port: number; next: () => Promise<Socket> };

async function startTarget(): Promise<Target> {
  const accepted: Socket[] = [];
  const waiting: Array<(socket: Socket) => void> = [];
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    const waiter = waiting.shift();
    if (waiter) {
      waiter(socket);
    } else {
      accepted.push(socket);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const next = () => {
    const ready = accepted.shift();
    return ready ? Promise.resolve(ready) : new Promise<Socket>((r) => waiting.push(r));
  };
  return { server, port, next };
}

/** A client through the relay plus the target's end of the same connection. */
async function openPair(relay: LagRelay, target: Target): Promise<{ client: Socket; far: Socket }> {
  const client = connect(relay.port, "127.0.0.1");
  client.on("error", () => undefined);
  const [far] = await Promise.all([target.next(), once(client, "connect")]);
  return { client, far };
}

/** Resolves with the time at which `socket` has received `bytes` bytes in total, and them. */
function receive(socket: Socket, bytes: number): Promise<{ at: number; data: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= bytes) {
        socket.off("data", onData);
        resolve({ at: performance.now(), data: Buffer.concat(chunks) });
      }
    };
    socket.on("data", onData);
  });
}

/** Polls `check` every 2 ms until it holds; fails after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error("condition not reached in time");
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let target: Target;
let relay: LagRelay;

beforeAll(async () => {
  target = await startTarget();
  relay = await startLagRelay({ target: { host: "127.0.0.1", port: target.port } });
});

afterAll(async () => {
  await relay?.close();
  target?.server.close();
});

describe("lag relay", () => {
  test("holds the target's bytes for the configured lag and passes the client's at once", async () => {
    relay.setLag(300);
    const { client, far } = await openPair(relay, target);
    const upstream = receive(far, 4);
    const sentUp = performance.now();
    client.write("ping");
    const up = await upstream;
    expect(up.data.toString()).toBe("ping");
    expect(up.at - sentUp).toBeLessThan(150);

    const downstream = receive(client, 4);
    const sentDown = performance.now();
    far.write("pong");
    const down = await downstream;
    expect(down.data.toString()).toBe("pong");
    // Timers may fire up to a millisecond early relative to performance.now().
    expect(down.at - sentDown).toBeGreaterThanOrEqual(298);
    expect(down.at - sentDown).toBeLessThan(300 + 250);
    client.destroy();
  });

  test("switching the lag while bytes are held never reorders or loses them", async () => {
    relay.setLag(0);
    const { client, far } = await openPair(relay, target);
    const chunks = Array.from({ length: 60 }, (_, i) => `<${i}:${"x".repeat(i * 37)}>`);
    const expected = chunks.join("");
    const received = receive(client, Buffer.byteLength(expected));
    const lags = [0, 80, 5, 200, 0, 40, 120, 1];
    for (const [i, chunk] of chunks.entries()) {
      far.write(chunk);
      if (i % 5 === 0) {
        relay.setLag(lags[(i / 5) % lags.length] ?? 0);
      }
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    relay.setLag(0);
    const { data } = await received;
    expect(data.toString()).toBe(expected);
    client.destroy();
  });

  test("lowering the lag releases bytes already held, in order", async () => {
    relay.setLag(10_000);
    const { client, far } = await openPair(relay, target);
    const received = receive(client, 6);
    far.write("abc");
    far.write("def");
    await until(() => relay.heldBytes === 6);
    const lowered = performance.now();
    relay.setLag(0);
    const { at, data } = await received;
    expect(data.toString()).toBe("abcdef");
    expect(at - lowered).toBeLessThan(500);
    client.destroy();
  });

  test("a connection the target closes ends only after its held bytes are delivered", async () => {
    relay.setLag(150);
    const { client, far } = await openPair(relay, target);
    const chunks: Buffer[] = [];
    client.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = once(client, "end");
    far.end("last words");
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe("last words");
    client.destroy();
  });

  test("refuses a negative or non-finite lag and keeps the one in force", () => {
    relay.setLag(20);
    expect(() => relay.setLag(-1)).toThrow(RangeError);
    expect(() => relay.setLag(Number.NaN)).toThrow(RangeError);
    expect(() => relay.setLag(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(relay.lagMs).toBe(20);
  });
});
