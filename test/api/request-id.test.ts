import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkers, type WorkerGroup } from "../support/worker";
import { expectError, newId } from "./helpers";

let group: WorkerGroup;
beforeAll(async () => {
  group = await startWorkers(1);
});
afterAll(() => group.dispose());

const worker = () => {
  const [w] = group.workers;
  if (w === undefined) {
    throw new Error("no worker");
  }
  return w;
};

describe("X-Request-Id", () => {
  it("answers every response with a generated id when the request has none", async () => {
    const ok = await worker().fetch("/healthz");
    const missing = await worker().fetch(`/products/${newId()}`);
    const ids = [ok.headers.get("X-Request-Id"), missing.headers.get("X-Request-Id")];
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it("keeps a sane id from the request, on success and in the error envelope", async () => {
    const res = await worker().fetch("/healthz", { headers: { "X-Request-Id": "trace-1=abc_2" } });
    expect(res.headers.get("X-Request-Id")).toBe("trace-1=abc_2");
    const error = await worker().fetch("/products/bad.id", {
      headers: { "X-Request-Id": "trace-2" },
    });
    const body = await expectError(error, 400, "invalid_id");
    expect(body.error.requestId).toBe("trace-2");
  });

  it.each([
    ["longer than 64 characters", "x".repeat(65)],
    ["with characters outside [A-Za-z0-9_=-]", "a b;c"],
  ])("replaces an id %s", async (_, sent) => {
    const res = await worker().fetch("/healthz", { headers: { "X-Request-Id": sent } });
    const id = res.headers.get("X-Request-Id");
    expect(id).not.toBe(sent);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is in every log line of the request", async () => {
    let output = "";
    // A misconfigured Worker logs twice per request: the bad setting, then the failed request.
    const misconfigured = await startWorkers(1, {
      bindings: { CACHE_TTL_SECONDS: "soon" },
      onOutput: (text) => {
        output += text;
      },
    });
    const id = `log-${newId()}`;
    try {
      const res = await misconfigured.workers[0]?.fetch("/healthz", {
        headers: { "X-Request-Id": id },
      });
      expect(res?.status).toBe(500);
    } finally {
      await misconfigured.dispose();
    }
    const lines = output
      .split("\n")
      .filter((line) => line.includes("invalid Worker configuration") || line.includes(id));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(JSON.parse(line.slice(line.indexOf("{")))).toMatchObject({ requestId: id });
    }
  });
});
