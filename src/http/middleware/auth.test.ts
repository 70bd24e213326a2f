import { describe, expect, it } from "vitest";
import { tokensEqual } from "./auth";

describe("tokensEqual", () => {
  it("is true only for identical tokens, whatever their lengths", async () => {
    expect(await tokensEqual("s3cret-token", "s3cret-token")).toBe(true);
    expect(await tokensEqual("s3cret-token", "s3cret-tokem")).toBe(false);
    expect(await tokensEqual("s3cret", "s3cret-token")).toBe(false);
    expect(await tokensEqual("", "s3cret-token")).toBe(false);
  });
});
