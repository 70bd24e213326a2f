/**
 * The private Redis primary + replica pair: a real `--replicaof` replica, and a lag knob that is
 * real replication lag (measured by polling the replica, never by sleeping).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RespClient } from "../upstash-rest/resp-client";
import { type RedisPair, startRedisPair } from "./redis-pair";

let pair: RedisPair;
let primary: RespClient;
let replica: RespClient;

beforeAll(async () => {
  pair = await startRedisPair();
  primary = new RespClient(pair.primaryUrl);
  replica = new RespClient(pair.replicaUrl);
});

afterAll(async () => {
  await Promise.all([primary?.close(), replica?.close()]);
  await pair?.close();
});

const freshKey = () => `pair:${randomBytes(6).toString("hex")}`;

/** Writes a fresh key on the primary; resolves with the ms until the replica shows it. */
async function visibilityDelay(timeoutMs = 5000): Promise<number> {
  const key = freshKey();
  const started = performance.now();
  await primary.send(["SET", key, "v"]);
  const deadline = started + timeoutMs;
  while (performance.now() < deadline) {
    const reply = await replica.send(["GET", key]);
    if (reply.kind === "bulk") {
      return performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`the replica did not show ${key} within ${timeoutMs} ms`);
}

describe("Redis primary + replica pair", () => {
  test("the replica replicates the primary and refuses writes", async () => {
    pair.setLag(0);
    const key = freshKey();
    await primary.send(["SET", key, "hello"]);
    await pair.waitForCatchUp();
    expect(await replica.send(["GET", key])).toEqual({
      kind: "bulk",
      value: Buffer.from("hello"),
    });
    const refused = await replica.send(["SET", key, "nope"]);
    expect(refused).toMatchObject({ kind: "error", message: expect.stringMatching(/^READONLY/) });
    const info = await replica.send(["INFO", "replication"]);
    expect(info.kind === "bulk" ? info.value.toString() : "").toContain("role:slave");
  });

  test("the lag knob is real replication lag, switchable while running", async () => {
    const measured: string[] = [];
    for (const lag of [0, 150, 400, 0]) {
      pair.setLag(lag);
      const delay = await visibilityDelay();
      measured.push(`${lag} -> ${delay.toFixed(1)}`);
      expect(delay).toBeGreaterThanOrEqual(lag - 2);
      expect(delay).toBeLessThan(lag + 250);
    }
    console.info(`replica visibility delay by lag, ms: ${measured.join(", ")}`);
  });

  test("while lagging the replica's offset trails the primary's, and it catches up at lag 0", async () => {
    pair.setLag(5000);
    const keys = [freshKey(), freshKey(), freshKey()];
    for (const key of keys) {
      await primary.send(["SET", key, "v"]);
    }
    const behind = await pair.offsets();
    expect(behind.replica).toBeLessThan(behind.primary);
    expect(await replica.send(["EXISTS", ...keys])).toEqual({ kind: "integer", value: 0 });
    const lowered = performance.now();
    pair.setLag(0);
    await pair.waitForCatchUp(2000);
    expect(performance.now() - lowered).toBeLessThan(1000);
    expect(await replica.send(["EXISTS", ...keys])).toEqual({ kind: "integer", value: 3 });
    const after = await pair.offsets();
    expect(after.replica).toBeGreaterThanOrEqual(behind.primary);
  });
});
