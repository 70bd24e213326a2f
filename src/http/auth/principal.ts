/**
 * Who is writing: the service (the `API_TOKEN` holder) or a verified user.
 *
 * @module
 */
import type { User } from "./user-tokens";

/** The holder of `API_TOKEN`: may do every write. */
export type Service = { kind: "service" };

/** The authenticated caller of a write. */
export type Principal = Service | User;

/** What a route requires of its caller. */
export type Requirement =
  /** `PUT`, `PATCH`, `DELETE /products/:id`: the service or a user with `products:write`. */
  | "product-writer"
  /** Review writes: any authenticated caller (ownership is checked where the review is). */
  | "any";

/** `true` when `principal` may change any product and any review. */
export function isProductWriter(principal: Principal): boolean {
  return principal.kind === "service" || principal.productWriter;
}

/** The `authorId` a review written by `principal` carries (`null` for the service). */
export function authorIdOf(principal: Principal): string | null {
  return principal.kind === "user" ? principal.id : null;
}
