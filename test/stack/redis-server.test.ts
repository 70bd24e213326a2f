import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  REDIS_MISSING_MESSAGE,
  redisAnswersPing,
  startRedisServer,
} from "../../emulators/redis-server";

/** The `dir` a running redis-server reports (CONFIG GET dir), over a raw RESP connection. */
async function configDir(port: number): Promise<string> {
  const { createConnection } = await import("node:net");
  return await new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let reply = "";
    socket.once("error", reject);
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      const lines = reply.split("\r\n");
      // *2 $3 dir $<n> <path> → the path is the fifth line.
      if (lines.length >= 6) {
        socket.destroy();
        resolve(lines[4] ?? "");
      }
    });
    socket.once("connect", () => socket.write("CONFIG GET dir\r\n"));
  });
}

describe("private redis-server", () => {
  it("serves on its own port and data directory, and removes both on close", async () => {
    const redis = await startRedisServer();
    const dir = await configDir(redis.port);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.port).not.toBe(6379);
    expect(await redisAnswersPing(redis.port)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    await redis.close();
    expect(await redisAnswersPing(redis.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it("fails with one line saying how to install it when the binary is missing", async () => {
    const attempt = startRedisServer({ bin: "/nonexistent/redis-server" });
    await expect(attempt).rejects.toThrow(REDIS_MISSING_MESSAGE);
    expect(REDIS_MISSING_MESSAGE).toMatch(/apt-get install redis-server/);
    expect(REDIS_MISSING_MESSAGE).toMatch(/REDIS_URL/);
    expect(REDIS_MISSING_MESSAGE).not.toContain("\n");
  });
});
