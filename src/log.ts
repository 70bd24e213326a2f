/**
 * Structured log lines (one JSON object per line, what Workers Logs indexes). Never pass secrets or
 * request bodies.
 *
 * @module
 */

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** Writes log lines that all carry the same context (a request id, a job name). */
export type Logger = {
  /** Writes `{ level, msg, ...context, ...fields }`. */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
};

/** A {@link Logger} whose every line carries `context` (for example `{ requestId }`). */
export function createLogger(context: Record<string, unknown>): Logger {
  return {
    log: (level, msg, fields = {}) => log(level, msg, { ...context, ...fields }),
  };
}

/** Writes one log line: `{ level, msg, ...fields }`. */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") {
    console.error(line);
  } else if (level === "warn") {
    console.warn(line);
  } else {
    console.log(line);
  }
}

/** The loggable part of an error: name, message, stack and the `cause` chain (bounded). */
export function describeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) {
    return { value: String(err) };
  }
  // Drizzle's query errors append the bound parameters (request data) to message and stack.
  const hasParams = "params" in err;
  const strip = (text: string | undefined) =>
    hasParams ? text?.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, "") : text;
  return {
    name: err.name,
    message: strip(err.message),
    stack: strip(err.stack),
    ...(err.cause !== undefined && depth < 3 ? { cause: describeError(err.cause, depth + 1) } : {}),
  };
}
