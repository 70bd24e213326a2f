import type { RedisPort } from "lease-cache";
import { describe, expect, it } from "vitest";
import { ABSENT_READ_LOG, runScript } from "./redis-scripts";

/** A port whose EVALSHA does `evalsha`, recording which command each call was. */
function portWith(evalsha: () => Promise<unknown>): RedisPort & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    evalsha: async (sha1) => {
      sent.push(`EVALSHA ${sha1}`);
      return evalsha();
    },
    eval: async (source) => {
      sent.push(`EVAL ${source === ABSENT_READ_LOG.source ? ABSENT_READ_LOG.name : "?"}`);
      return [0, 0];
    },
  };
}

describe("runScript", () => {
  it("sends EVALSHA of the pinned SHA-1 and nothing else while Redis knows the script", async () => {
    const port = portWith(async () => [1, 0]);
    expect(await runScript(port, ABSENT_READ_LOG, ["k"], [])).toEqual([1, 0]);
    expect(port.sent).toEqual([`EVALSHA ${ABSENT_READ_LOG.sha1}`]);
  });

  it("sends the script's text with EVAL once when Redis answers NOSCRIPT", async () => {
    const port = portWith(async () => {
      throw new Error("NOSCRIPT No matching script. Please use EVAL.");
    });
    expect(await runScript(port, ABSENT_READ_LOG, ["k"], [])).toEqual([0, 0]);
    expect(port.sent).toEqual([`EVALSHA ${ABSENT_READ_LOG.sha1}`, "EVAL absentReadLog"]);
  });

  it("passes any other error on without a second call", async () => {
    const port = portWith(async () => {
      throw new Error("ERR injected");
    });
    await expect(runScript(port, ABSENT_READ_LOG, ["k"], [])).rejects.toThrow("ERR injected");
    expect(port.sent).toHaveLength(1);
  });
});
