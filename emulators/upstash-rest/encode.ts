/**
 * Conversions between Upstash REST JSON and RESP2.
 *
 * Requests: a command is a JSON array of scalars. Strings go to Redis as their UTF-8 bytes, numbers
 * as their JSON text (`1`, `1.5`, `1e+21` — JavaScript's shortest round-trip form, so `1.0` in the
 * body arrives as `1`), booleans as `true` / `false`, and JSON `null` as the EMPTY string. `null`
 * is what `@upstash/redis` sends for an `undefined` argument (for example `@upstash/ratelimit`'s
 * reset script passes `[null]` as ARGV); real Upstash does not document its rule.
 *
 * Responses, as `@upstash/redis` 1.39 decodes them: with `Upstash-Encoding: base64` every string
 * at any depth (bulk and status replies alike, `OK` included) is the base64 of its raw bytes;
 * integers are JSON numbers; nil is `null`. Without the header strings are UTF-8 text (invalid
 * bytes become U+FFFD). Error text is never encoded.
 * @module
 */
import type { RespReply } from "./resp-parser";

/** One element of a REST command array after validation. */
export type RestArgument = string | number | boolean | null;

/** A command whose body was not a JSON array of scalars; the message is a Redis-style error. */
export class InvalidCommandError extends Error {
  override name = "InvalidCommandError";
}

/**
 * Checks that `body` is a non-empty JSON array of strings, numbers, booleans or nulls and converts
 * it to Redis arguments.
 * @throws InvalidCommandError otherwise
 */
export function toRedisArguments(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw new InvalidCommandError(
      'ERR a command must be a non-empty JSON array, e.g. ["get","key"]',
    );
  }
  return body.map((value: unknown, index) => {
    switch (typeof value) {
      case "string":
        return value;
      case "number":
      case "boolean":
        return String(value);
      default:
        if (value === null) {
          return "";
        }
        throw new InvalidCommandError(
          `ERR argument ${index} must be a string, number, boolean or null, got ${Array.isArray(value) ? "array" : typeof value}`,
        );
    }
  });
}

/** A JSON value as the Upstash REST API returns it inside `result`. */
export type RestValue = string | number | null | RestValue[];

/** One `{result}` / `{error}` entry of a response. */
export type RestEntry = { result: RestValue } | { error: string };

/** Encodes one reply value (not the top-level error case, see {@link toRestEntry}). */
export function encodeReply(reply: RespReply, base64: boolean): RestValue {
  switch (reply.kind) {
    case "bulk":
      return base64 ? reply.value.toString("base64") : reply.value.toString("utf8");
    case "status":
      return base64 ? Buffer.from(reply.value, "utf8").toString("base64") : reply.value;
    case "integer":
      return reply.value;
    case "nil":
      return null;
    case "array":
      return reply.items.map((item) => encodeReply(item, base64));
    case "error":
      // Only reachable for an error nested below the top level of a reply (a Lua table holding
      // `redis.error_reply`, or inside an EXEC entry). Upstash's shape for that is undocumented;
      // the message is returned as an ordinary string.
      return base64 ? Buffer.from(reply.message, "utf8").toString("base64") : reply.message;
  }
}

/** A top-level reply as a response entry: Redis errors become `{error}` with the text unchanged. */
export function toRestEntry(reply: RespReply, base64: boolean): RestEntry {
  return reply.kind === "error" ? { error: reply.message } : { result: encodeReply(reply, base64) };
}
