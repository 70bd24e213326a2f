/**
 * The product id format (docs/api.md: a SKU or slug), in one place: the HTTP layer checks it before
 * any cache key is built or Postgres is touched, and the database enforces it too.
 *
 * @module
 */

/** `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`. */
export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
