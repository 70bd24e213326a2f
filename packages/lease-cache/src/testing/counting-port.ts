import type { RedisPort } from "../redis-port.js";

/** Wraps a port and counts every call made through it, background ones included. */
export function countingPort(inner: RedisPort): RedisPort & { count: number } {
  const port = {
    count: 0,
    evalsha(sha1: string, keys: string[], args: string[]) {
      port.count += 1;
      return inner.evalsha(sha1, keys, args);
    },
    eval(source: string, keys: string[], args: string[]) {
      port.count += 1;
      return inner.eval(source, keys, args);
    },
  };
  return port;
}
