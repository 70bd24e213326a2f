/**
 * What the bench runner (Node) and the bench hosts (the Worker in workerd, `node-host.ts` in Node)
 * say to each other: types and shared literals only, so every side can import it without the
 * others' runtime.
 */
import type { CacheOutcome } from "lease-cache";

/** Every read path the bench compares, in table order. */
export const BENCH_PATHS = ["nocache", "naive", "core", "cachified", "bentocache"] as const;

/** One read path: no cache, the naive recipe, the project's core, or a peer library. */
export type BenchPath = (typeof BENCH_PATHS)[number];

/** Where a path runs: inside workerd (Miniflare) or in a Node process (a peer that cannot). */
export type BenchHost = "workerd" | "node";

/** The host of each path (`bentocache`'s Redis driver is ioredis over TCP: see docs/benchmarks.md). */
export const PATH_HOSTS: Readonly<Record<BenchPath, BenchHost>> = {
  nocache: "workerd",
  naive: "workerd",
  core: "workerd",
  cachified: "workerd",
  bentocache: "node",
};

/** Round trips of one request that completed before its response was ready. */
export type CriticalCalls = { redis: number; postgres: number };

/** The answer to `GET /read/:path/:id`. */
export type ReadAnswer = {
  /** How the path answered (`hit`, `miss`, … for the caches; `loaded`/`cached` for the peers). */
  status: string;
  version: number | null;
  stock: number | null;
  /** The core's own account of the read (core path only). */
  outcome?: CacheOutcome;
  /** When the handler started, ms since the epoch on the host's clock. */
  startedAt: number;
  serverMs: number;
  calls: CriticalCalls;
};

/** The answer to `POST /write/:path/:id` (`version` is `null` when the product does not exist). */
export type WriteAnswer = {
  version: number | null;
  stock: number | null;
  startedAt: number;
  serverMs: number;
  calls: CriticalCalls;
};

/** The answer to `GET /gate/:token/reached`: the version the held loader read. */
export type GateAnswer = { version: number | null };

/** Round trips started by one kind of request, background work included. */
export type KindCalls = { redis: number; postgres: number };

/** Isolate-wide counters, as `GET /stats` reports them. */
export type IsolateStats = {
  /** Redis round trips since the last reset (background included). */
  redis: number;
  /** Postgres queries since the last reset (background included). */
  postgres: number;
  /** Other outbound requests (should stay 0). */
  other: number;
  /** The same, by the kind of request that started them. */
  byKind: { read: KindCalls; write: KindCalls };
  /** Outbound requests in flight right now. */
  inflight: number;
  /** Background promises not yet settled. */
  background: number;
  /** Bench requests handled since the last reset. */
  requests: number;
};

/**
 * The floor probes (`lib/dispatch-floor.ts`): `none` makes no outbound request (`GET /stats`),
 * `one-get` exactly one Upstash REST `GET` of a fixed key, with a plain `fetch` and nothing else.
 * `nearest-miss` the round trips of a `nearest` miss after expiry and nothing else, in sequence
 * and with plain `fetch`es: a `GET` (the read region answers it), a `SET` (the primary) and a
 * `SELECT 1` on the database replica (the topology's floor, `scenarios/topology.ts`).
 */
export const FLOOR_ROUTES = {
  none: "/stats",
  "one-get": "/floor/one-get",
  "nearest-miss": "/floor/nearest-miss",
} as const;

/** A floor probe's kind. */
export type FloorKind = keyof typeof FLOOR_ROUTES;

/** The key the `one-get` probe reads (it never exists: the answer is a nil). */
export const FLOOR_KEY = "bench:floor";
