import { describe, expect, it } from "vitest";
import { BOOKMARK_MAX_BYTES, issueBookmark, readBookmark } from "./bookmark";
import { AppError } from "./errors";

const signing = { secret: "s3cret", scope: "v1" };

describe("bookmarks", () => {
  it("round-trip the state they name", async () => {
    const bookmark = await issueBookmark({ productId: "lamp", rev: 7, syncToken: "42" }, signing);
    expect(bookmark.length).toBeLessThanOrEqual(BOOKMARK_MAX_BYTES);
    expect(await readBookmark(bookmark, signing)).toEqual({
      productId: "lamp",
      rev: 7,
      syncToken: "42",
    });
  });

  it("are ignored when another secret or another deployment's prefix signed them", async () => {
    const bookmark = await issueBookmark({ productId: "lamp", rev: 7 }, signing);
    expect(await readBookmark(bookmark, { ...signing, secret: "other" })).toBeUndefined();
    expect(await readBookmark(bookmark, { ...signing, scope: "v2" })).toBeUndefined();
  });

  it("are ignored when tampered with", async () => {
    const bookmark = await issueBookmark({ productId: "lamp", rev: 7 }, signing);
    const [version, payload, signature] = bookmark.split(".");
    const forged = Buffer.from(JSON.stringify({ k: "v1", p: "lamp", r: 999 })).toString(
      "base64url",
    );
    expect(await readBookmark(`${version}.${forged}.${signature}`, signing)).toBeUndefined();
    expect(payload).not.toBe(forged);
  });

  it.each(["", "nope", "b1.e30", `b1.${"A".repeat(600)}.${"B".repeat(43)}`, "b1.!!.AAAA"])(
    "refuse %j as malformed",
    async (value) => {
      await expect(readBookmark(value, signing)).rejects.toBeInstanceOf(AppError);
    },
  );
});
