/**
 * Request validation through `@hono/zod-validator`, with a hook that turns every failure into the
 * one {@link AppError}: `invalid_id` for path parameters, `validation_failed` for bodies and query
 * strings. Messages are written here, not echoed from input.
 *
 * @module
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type * as z from "zod/mini";
import { PRODUCT_ID_PATTERN } from "../db/product-id";
import { AppError, type ErrorDetail } from "./errors";

type Target = keyof Pick<ValidationTargets, "json" | "query" | "param">;

const TYPE_NAMES: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  object: "an object",
  array: "an array",
  boolean: "a boolean",
};

/** A human sentence for one zod issue, naming the field but never quoting the received value. */
function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}${where === "body" ? "" : ` in ${where}`}`;
    case "invalid_type":
      return `${where} must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_small":
      return issue.origin === "string"
        ? `${where} must be at least ${issue.minimum} character${issue.minimum === 1 ? "" : "s"}`
        : `${where} must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "string"
        ? `${where} must be at most ${issue.maximum} characters`
        : `${where} must be at most ${issue.maximum}`;
    case "invalid_format":
      // Only our own messages ("must be …") are shown; zod's may quote the input.
      return issue.message.startsWith("must ")
        ? `${where} ${issue.message}`
        : `${where} has an invalid format`;
    case "custom":
      return `${where} ${issue.message}`;
    default:
      return `${where} is invalid`;
  }
}

/** Converts a zod failure into the client-visible error for `target`. */
export function validationError(target: Target, error: { issues: z.core.$ZodIssue[] }): AppError {
  const details: ErrorDetail[] = error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const where = path === "" ? (target === "json" ? "body" : target) : path;
    return { path, code: issue.code, message: describeIssue(issue, where) };
  });
  // A bad product id is `invalid_id`; any other path parameter (a review id) is a bad field.
  if (target === "param" && details.some((d) => d.path === "id" || d.path === "")) {
    return new AppError("invalid_id", `id must match ${PRODUCT_ID_PATTERN.source}`, {
      details,
    });
  }
  if (target === "param") {
    return new AppError("validation_failed", details[0]?.message ?? "a path parameter is invalid", {
      details,
    });
  }
  return new AppError("validation_failed", details[0]?.message ?? "the request is invalid", {
    details,
  });
}

/**
 * `zValidator(target, schema)` whose failures throw {@link AppError}. Handlers read the parsed value
 * with `c.req.valid(target)`.
 */
export function validate<T extends Target, S extends z.ZodMiniType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      // Mini schemas produce core issues; the union type also admits classic zod v3 errors.
      throw validationError(target, result.error as { issues: z.core.$ZodIssue[] });
    }
  });
}
