/**
 * The body checks every write with a JSON body passes, in order: `415` unless the body is declared
 * `application/json`; `413` above {@link MAX_BODY_BYTES}, whether or not `Content-Length` is given
 * (hono's `bodyLimit` buffers a chunked body up to the limit before the handler runs); `400
 * invalid_json` when it does not parse. Schema validation follows (`validate("json", …)`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { AppError } from "../errors";
import type { AppEnv } from "../types";

/** Largest accepted request body: 16 KiB. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The media type hono's JSON validator accepts (`application/json`, `application/*+json`). */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

function requireJsonContentType(): MiddlewareHandler<AppEnv> {
  return async function requireJsonContentType(c, next) {
    const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      throw new AppError("unsupported_media_type", "the body must be application/json");
    }
    await next();
  };
}

function parseJson(): MiddlewareHandler<AppEnv> {
  return async function parseJson(c, next) {
    try {
      // Cached by hono: the validator after this reads the same parsed value.
      await c.req.json();
    } catch {
      throw new AppError("invalid_json", "the body is not valid JSON");
    }
    await next();
  };
}

/** Content type, size and syntax checks for a JSON body. */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return every(
    requireJsonContentType(),
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
    parseJson(),
  );
}
