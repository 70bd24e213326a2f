import type { RedisPort } from "../redis-port.js";

/** Wraps a port and counts every call made through it, background ones included. */
export function countingPort(inner: RedisPort): RedisPort & { count: number } {
  const counted =
    <A extends unknown[]>(call: ((...args: A) => Promise<unknown>) | undefined) =>
    (...args: A): Promise<unknown> => {
      port.count += 1;
      if (call === undefined) {
        return Promise.reject(new Error("the wrapped port has no such method"));
      }
      return call(...args);
    };
  const port: RedisPort & { count: number } = {
    count: 0,
    evalsha: counted(inner.evalsha.bind(inner)),
    eval: counted(inner.eval.bind(inner)),
    ...(inner.evalshaRo === undefined || inner.evalRo === undefined
      ? {}
      : {
          evalshaRo: counted(inner.evalshaRo.bind(inner)),
          evalRo: counted(inner.evalRo.bind(inner)),
        }),
    ...(inner.dialect === undefined ? {} : { dialect: inner.dialect }),
    ...(inner.syncToken === undefined ? {} : { syncToken: inner.syncToken }),
  };
  return port;
}
