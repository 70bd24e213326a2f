/**
 * `bentocache` as its documentation sets it up for a shared Redis (Node only: its Redis driver is
 * ioredis over TCP): one `BentoCache` per process with a single store whose L2 layer is
 * `redisDriver` (the driver its docs name for Upstash), `ttl` and a `grace` period from the
 * Worker's settings (soft timeout 0: a graced value is answered at once and refreshed in the
 * background), its built-in stampede protection (an in-memory lock per key and process). Writes:
 * `UPDATE`, then `bento.delete`.
 *
 * Redis is reached through the bench's latency relay (`BENCH_REDIS_TCP_URL`), which injects the
 * same round trip as the Upstash REST server; every ioredis command is counted as one round trip.
 */
import { BentoCache, bentostore } from "bentocache";
import { redisDriver } from "bentocache/drivers/redis";
import { Redis } from "ioredis";
import type { Product } from "../../src/db/models";
import type { Config } from "../../src/env";
import { countCall } from "../worker-stats";
import { type BenchPathImpl, hooked, stateOf } from "./path";
import { dbOf, loadProduct, plainWrite } from "./plain-db";

/** The binding naming the relay in front of the real Redis (`redis://host:port`). */
export const REDIS_TCP_BINDING = "BENCH_REDIS_TCP_URL";

type Bento = BentoCache<{ shared: ReturnType<typeof bentostore> }>;
let bento: Bento | undefined;

/** An ioredis connection whose every command counts as one Redis round trip. */
function countedRedis(url: string): Redis {
  const redis = new Redis(url);
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<typeof send>) =>
    countCall("redis", async () => send(...args))) as typeof redis.sendCommand;
  return redis;
}

function bentoOf(config: Config, env: Record<string, string>): Bento {
  if (bento !== undefined) {
    return bento;
  }
  const url = env[REDIS_TCP_BINDING];
  if (url === undefined) {
    throw new Error(`${REDIS_TCP_BINDING} is not set`);
  }
  bento = new BentoCache({
    default: "shared",
    prefix: `${config.CACHE_KEY_PREFIX}:bento`,
    ttl: `${config.CACHE_TTL_SECONDS}s`,
    grace: config.STALE_TTL_SECONDS > 0 ? `${config.STALE_TTL_SECONDS}s` : false,
    stores: {
      shared: bentostore().useL2Layer(redisDriver({ connection: countedRedis(url) })),
    },
  });
  return bento;
}

const keyOf = (id: string) => `product:${id}`;

/** Closes the process's connection (the Node host calls it on the way out). */
export async function disconnectBentocache(): Promise<void> {
  await bento?.disconnectAll();
  bento = undefined;
}

/** See the module comment. */
export const bentocachePath: BenchPathImpl = {
  async read({ config, env }, id, hooks) {
    const db = dbOf(config);
    let loaded = false;
    const load = hooked(() => loadProduct(db, id), hooks);
    const value = await bentoOf(config, env).getOrSet<Product | null>({
      key: keyOf(id),
      factory: async () => {
        loaded = true;
        return load();
      },
    });
    return { status: loaded ? "loaded" : "cached", product: stateOf(value) };
  },
  async write({ config, env }, id, change) {
    const written = await plainWrite(dbOf(config), id, change);
    await bentoOf(config, env).delete({ key: keyOf(id) });
    return written;
  },
};
