/**
 * The one Node API the bench Worker uses (workerd provides it under `nodejs_compat`), declared
 * here so Worker code compiles with the Workers types alone.
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
