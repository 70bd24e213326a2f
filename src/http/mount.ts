/**
 * Mounts operations of the route table (`./api.ts`) on the app. The middleware of each one is
 * built from its entry, in the order that keeps failures cheap: authentication and role →
 * path parameters (ids are checked before any key is built) → write rate limit → body checks
 * (type, size, syntax) → body schema → query schema → the handler.
 *
 * @module
 */
import type { Context, Handler, Hono, MiddlewareHandler } from "hono";
import type * as z from "zod/mini";
import type { OperationDef } from "./api";
import { requireAuth } from "./middleware/auth";
import { jsonBody } from "./middleware/json-body";
import { rateLimitWrites } from "./middleware/rate-limit";
import { allowOnly } from "./routes/shared";
import type { AppEnv } from "./types";
import { validate } from "./validation";

type Out<S> = S extends z.ZodMiniType ? z.output<S> : undefined;

/** The validated input of operation `O`, typed from its schemas. */
export type InputOf<O extends OperationDef> = {
  params: Out<O["params"]>;
  query: Out<O["query"]>;
  body: O["body"] extends { schema: infer S } ? Out<S> : undefined;
};

/** A handler of operation `O`: the context and the input its validators produced. */
export type OperationHandler<O extends OperationDef> = (
  c: Context<AppEnv>,
  input: InputOf<O>,
) => Response | Promise<Response>;

/** A validator as plain app middleware (its per-route input typing is replaced by {@link InputOf}). */
function validator(target: "param" | "query" | "json", schema: z.ZodMiniType) {
  return validate(target, schema) as unknown as MiddlewareHandler<AppEnv>;
}

/** The middleware `op` declares, in order. */
export function middlewareOf(op: OperationDef): MiddlewareHandler<AppEnv>[] {
  const chain: MiddlewareHandler<AppEnv>[] = [];
  if (op.auth !== undefined) {
    chain.push(requireAuth(op.auth));
  }
  if (op.params !== undefined) {
    chain.push(validator("param", op.params));
  }
  if (op.auth !== undefined) {
    chain.push(rateLimitWrites());
  }
  if (op.body !== undefined) {
    chain.push(jsonBody(), validator("json", op.body.schema));
  }
  if (op.query !== undefined) {
    chain.push(validator("query", op.query));
  }
  return chain;
}

/** Registers `op` with `handler`, behind the middleware its entry declares. */
export function mount<O extends OperationDef>(
  app: Hono<AppEnv>,
  op: O,
  handler: OperationHandler<O>,
): void {
  // The validators above stored their results; hono's per-route typing is not threaded through a
  // computed middleware list, so the input is read back here, typed from the same schemas.
  const final: Handler<AppEnv> = (c) => {
    const valid = (target: "param" | "query" | "json") =>
      (c.req as unknown as { valid(t: string): unknown }).valid(target);
    const input = {
      params: op.params === undefined ? undefined : valid("param"),
      query: op.query === undefined ? undefined : valid("query"),
      body: op.body === undefined ? undefined : valid("json"),
    } as InputOf<O>;
    return handler(c, input);
  };
  app.on(op.method.toUpperCase(), [op.path], ...middlewareOf(op), final);
}

/** `405` with `Allow` for every path of `operations`, for the methods they do not declare. */
export function mountMethodNotAllowed(app: Hono<AppEnv>, operations: readonly OperationDef[]) {
  const methods = new Map<string, string[]>();
  for (const op of operations) {
    methods.set(op.path, [...(methods.get(op.path) ?? []), op.method.toUpperCase()]);
  }
  for (const [path, allowed] of methods) {
    allowOnly(app, path, allowed);
  }
}
