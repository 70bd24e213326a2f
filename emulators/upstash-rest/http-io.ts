/**
 * Small HTTP helpers for the REST emulator: bounded body reading and JSON-only replies.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The request body exceeded the limit. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/**
 * Reads the whole body as UTF-8 text.
 * @throws BodyTooLargeError when it is longer than `limitBytes`; the rest of the body is then
 *   drained and discarded so the connection stays usable for the error response.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off("data", onData);
        req.resume();
        reject(new BodyTooLargeError(`ERR request body exceeds ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/**
 * Writes a JSON response unless the client is already gone. `headers` are added to
 * `content-type` and `content-length`.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) {
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** `true` when `header` is exactly `Bearer <token>` (case-insensitive scheme, as in RFC 6750). */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const match = /^bearer +(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] === token;
}
