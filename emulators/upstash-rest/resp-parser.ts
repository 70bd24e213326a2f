/**
 * Incremental RESP2 reply parser.
 *
 * Bulk strings stay raw `Buffer`s (values may be arbitrary bytes), status replies and errors become
 * tagged values instead of exceptions, so an error nested in an `EXEC` array is representable.
 * @module
 */

/** One RESP2 reply. Errors are values: whether they are fatal is the caller's decision. */
export type RespReply =
  | { kind: "bulk"; value: Buffer }
  | { kind: "status"; value: string }
  | { kind: "error"; message: string }
  | { kind: "integer"; value: number }
  | { kind: "nil" }
  | { kind: "array"; items: RespReply[] };

/** Thrown when the byte stream is not RESP2; the connection must then be dropped. */
export class RespProtocolError extends Error {
  override name = "RespProtocolError";
}

type Frame = { remaining: number; items: RespReply[] };

const CR = 0x0d;

/**
 * Feeds bytes in, emits complete top-level replies in order. Partial input is kept until the rest
 * arrives; array frames already parsed are not parsed again, so a large reply costs O(size).
 */
export class RespParser {
  #buffer: Buffer = Buffer.alloc(0);
  #offset = 0;
  #stack: Frame[] = [];
  readonly #onReply: (reply: RespReply) => void;

  /** @param onReply called once per complete top-level reply, in stream order */
  constructor(onReply: (reply: RespReply) => void) {
    this.#onReply = onReply;
  }

  /** Appends `chunk` and emits every reply it completes. Throws {@link RespProtocolError}. */
  push(chunk: Buffer): void {
    const rest = this.#buffer.subarray(this.#offset);
    this.#buffer = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    this.#offset = 0;
    for (;;) {
      const value = this.#readValue();
      if (value === undefined) {
        return;
      }
      this.#complete(value);
    }
  }

  /** Hands a finished value to its enclosing array, or emits it when it is top-level. */
  #complete(first: RespReply | "array-started"): void {
    let value = first;
    while (value !== "array-started") {
      const frame = this.#stack.at(-1);
      if (frame === undefined) {
        this.#onReply(value);
        return;
      }
      frame.items.push(value);
      frame.remaining -= 1;
      if (frame.remaining > 0) {
        return;
      }
      this.#stack.pop();
      value = { kind: "array", items: frame.items };
    }
  }

  /** Reads one line (without CRLF) from the buffer, or `undefined` when it is not complete yet. */
  #readLine(): string | undefined {
    const end = this.#buffer.indexOf(CR, this.#offset);
    if (end === -1 || end + 1 >= this.#buffer.length) {
      return undefined;
    }
    const line = this.#buffer.toString("latin1", this.#offset + 1, end);
    this.#offset = end + 2;
    return line;
  }

  /**
   * Consumes one value or array header. Returns `undefined` (consuming nothing) when the input is
   * incomplete, and `"array-started"` after pushing a frame for a non-empty array.
   */
  #readValue(): RespReply | "array-started" | undefined {
    if (this.#offset >= this.#buffer.length) {
      return undefined;
    }
    const start = this.#offset;
    const type = String.fromCharCode(this.#buffer[start] ?? 0);
    const line = this.#readLine();
    if (line === undefined) {
      return undefined;
    }
    switch (type) {
      case "+":
        return { kind: "status", value: line };
      case "-":
        return { kind: "error", message: line };
      case ":":
        return { kind: "integer", value: parseInteger(line) };
      case "$": {
        const length = parseInteger(line);
        if (length < 0) {
          return { kind: "nil" };
        }
        if (this.#buffer.length < this.#offset + length + 2) {
          this.#offset = start; // wait for the whole payload; the header is re-read then
          return undefined;
        }
        // Copy so the reply does not pin the (possibly large) receive buffer.
        const value = Buffer.from(this.#buffer.subarray(this.#offset, this.#offset + length));
        this.#offset += length + 2;
        return { kind: "bulk", value };
      }
      case "*": {
        const count = parseInteger(line);
        if (count < 0) {
          return { kind: "nil" };
        }
        if (count === 0) {
          return { kind: "array", items: [] };
        }
        this.#stack.push({ remaining: count, items: [] });
        return "array-started";
      }
      default:
        throw new RespProtocolError(`unexpected RESP type byte ${JSON.stringify(type)}`);
    }
  }
}

function parseInteger(text: string): number {
  if (!/^-?\d+$/.test(text)) {
    throw new RespProtocolError(`invalid RESP integer ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Encodes one command as a RESP2 array of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, "latin1")];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg, "utf8") : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`, "latin1"), bytes, Buffer.from("\r\n", "latin1"));
  }
  return Buffer.concat(parts);
}
