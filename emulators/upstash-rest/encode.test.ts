import { describe, expect, it } from "vitest";
import { planCommand } from "./commands";
import { encodeReply, InvalidCommandError, toRedisArguments, toRestEntry } from "./encode";
import type { RespReply } from "./resp-parser";
import { ScriptRegistry, scriptSha1 } from "./scripts";

const bulk = (text: string | Buffer): RespReply => ({
  kind: "bulk",
  value: typeof text === "string" ? Buffer.from(text) : text,
});

describe("toRedisArguments", () => {
  it("converts JSON scalars: numbers by JSON text, booleans as words, null as empty", () => {
    expect(toRedisArguments(["set", "k", 1, 0.1, -2e-7, true, false, null])).toEqual([
      "set",
      "k",
      "1",
      "0.1",
      "-2e-7",
      "true",
      "false",
      "",
    ]);
  });

  it("refuses non-arrays, empty arrays and structured arguments", () => {
    for (const body of [{}, "get", [], ["set", "k", { a: 1 }], ["set", "k", ["x"]]]) {
      expect(() => toRedisArguments(body)).toThrow(InvalidCommandError);
    }
  });
});

describe("encodeReply", () => {
  const nested: RespReply = {
    kind: "array",
    items: [
      { kind: "status", value: "OK" },
      bulk(Buffer.from([0xff, 0xfe])),
      { kind: "integer", value: -3 },
      { kind: "nil" },
      { kind: "array", items: [bulk("é")] },
    ],
  };

  it("base64-encodes every string at every depth from raw bytes, status replies included", () => {
    expect(encodeReply(nested, true)).toEqual(["T0s=", "//4=", -3, null, ["w6k="]]);
  });

  it("sends plain UTF-8 text without base64", () => {
    expect(encodeReply(nested, false)).toEqual(["OK", "\ufffd\ufffd", -3, null, ["é"]]);
  });

  it("turns a top-level error into {error} with the text unchanged and never encoded", () => {
    const error: RespReply = { kind: "error", message: "NOSCRIPT No matching script." };
    expect(toRestEntry(error, true)).toEqual({ error: "NOSCRIPT No matching script." });
    expect(toRestEntry({ kind: "nil" }, true)).toEqual({ result: null });
  });
});

describe("planCommand", () => {
  const scripts = new ScriptRegistry();

  it("refuses XREAD only with BLOCK", () => {
    expect(planCommand(["xread", "block", 0, "streams", "s", "$"], scripts)).toHaveProperty(
      "error",
    );
    expect(planCommand(["xread", "streams", "s", "0"], scripts)).toHaveProperty("args");
  });

  it("answers SCRIPT LOAD of a key-locking script with the original SHA-1", () => {
    const script = "#!lua flags=allow-key-locking\nreturn 1";
    const plan = planCommand(["script", "load", script], scripts);
    expect(plan).toMatchObject({ args: ["script", "load", "\nreturn 1"] });
    const adjusted =
      "adjustReply" in plan ? plan.adjustReply?.(bulk(scriptSha1("\nreturn 1"))) : undefined;
    expect(adjusted).toEqual(bulk(scriptSha1(script)));
    expect(planCommand(["evalsha", scriptSha1(script), 0], scripts)).toMatchObject({
      args: ["evalsha", scriptSha1("\nreturn 1"), "0"],
    });
  });
});
