/**
 * Every Lua script the cache runs, in one module. Each script names its KEYS and ARGV in a header,
 * declares every key it touches in KEYS (required by Upstash's key locking, announced by the
 * `allow-key-locking` shebang), and has its SHA-1 pinned here; `scripts.test.ts` checks the pins and
 * that Redis agrees. Scripts run with EVALSHA and fall back to EVAL on NOSCRIPT (`run-script.ts`).
 */
import { ENVELOPE_MAGIC } from "./envelope.js";

/** A script and its pinned SHA-1. */
export type LuaScript = { name: ScriptName; source: string; sha1: string };

/** The scripts the cache core uses. */
export type ScriptName = "readOrLease" | "fill" | "release" | "dropAndLease" | "invalidate";

/** Result codes of {@link READ_OR_LEASE} and {@link DROP_AND_LEASE}. */
export const ReadCode = {
  /** A fresh entry: answer it. */
  fresh: 0,
  /** A stale entry and this request now holds the refresh lock. */
  staleRefresh: 1,
  /** A stale entry; someone else is refreshing it. */
  stale: 2,
  /** No usable entry and this request now holds the fill lock (the lease). */
  leased: 3,
  /** No usable entry; another request holds the fill lock. */
  locked: 4,
} as const;

/** One of the {@link ReadCode} values. */
export type ReadCodeValue = (typeof ReadCode)[keyof typeof ReadCode];

/** Result codes of {@link FILL}. */
export const FillCode = {
  /** Stored, lock released. */
  stored: 1,
  /** The lease was gone (a writer invalidated the key, or the lock expired): nothing stored. */
  leaseLost: 0,
  /** The group moved on (a writer bumped its generation): nothing stored, lock released. */
  groupMoved: -1,
} as const;

const READ_OR_LEASE_SOURCE = `#!lua flags=allow-key-locking
-- readOrLease: read an entry and, when it is missing or stale, try to take its fill lock.
-- KEYS[1] value key
-- KEYS[2] lock key
-- KEYS[3] group generation key (optional)
-- ARGV[1] lock token of this request
-- ARGV[2] lock TTL in seconds
-- returns {code, stored value or '', generation, current lock holder or ''}
local gen = '0'
if KEYS[3] then gen = redis.call('GET', KEYS[3]) or '0' end
local v = redis.call('GET', KEYS[1])
if v then
  local g, window = string.match(v, '^${ENVELOPE_MAGIC}|([^|]*)|(%d+)|')
  if not g then
    redis.call('DEL', KEYS[1])
  elseif g == gen then
    window = tonumber(window)
    if window > 0 and redis.call('PTTL', KEYS[1]) <= window then
      if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
        return {1, v, gen, ARGV[1]}
      end
      return {2, v, gen, redis.call('GET', KEYS[2]) or ''}
    end
    return {0, v, gen, ''}
  end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return {3, '', gen, ARGV[1]}
end
return {4, '', gen, redis.call('GET', KEYS[2]) or ''}
`;

const FILL_SOURCE = `#!lua flags=allow-key-locking
-- fill: store an entry only while this request still holds the lease, then release it.
-- KEYS[1] value key
-- KEYS[2] lock key
-- KEYS[3] group generation key (optional)
-- ARGV[1] lock token of this request
-- ARGV[2] encoded entry
-- ARGV[3] entry TTL in milliseconds
-- ARGV[4] group generation seen when the lease was taken
-- returns 1 stored, 0 lease lost, -1 group moved on
-- @mutation-point fill.lease-check
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if KEYS[3] and (redis.call('GET', KEYS[3]) or '0') ~= ARGV[4] then return -1 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

const RELEASE_SOURCE = `#!lua flags=allow-key-locking
-- release: delete a lock only if this request still owns it.
-- KEYS[1] lock key
-- ARGV[1] lock token of this request
-- returns 1 released, 0 not ours (expired, invalidated or taken by another request)
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const DROP_AND_LEASE_SOURCE = `#!lua flags=allow-key-locking
-- dropAndLease: remove an entry that failed to decode (only if unchanged), then try to take the lock.
-- KEYS[1] value key
-- KEYS[2] lock key
-- ARGV[1] the undecodable stored value
-- ARGV[2] lock token of this request
-- ARGV[3] lock TTL in seconds
-- returns {code, '', '', current lock holder or ''} with code 3 (leased) or 4 (locked)
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return {3, '', '', ARGV[2]} end
return {4, '', '', redis.call('GET', KEYS[2]) or ''}
`;

const INVALIDATE_SOURCE = `#!lua flags=allow-key-locking
-- invalidate: a writer's one call after its commit. Deletes value keys with their locks (voiding
-- every lease taken before it) and bumps group generations (voiding pages and their leases).
-- KEYS[1..n-g] value and lock keys to delete
-- KEYS[n-g+1..n] group generation keys to increment
-- ARGV[1] g, the number of group keys at the end of KEYS
-- returns the number of keys deleted
local groups = tonumber(ARGV[1])
local last = #KEYS - groups
local deleted = 0
if last > 0 then deleted = redis.call('DEL', unpack(KEYS, 1, last)) end
for i = last + 1, #KEYS do redis.call('INCR', KEYS[i]) end
return deleted
`;

/** Reads an entry; on a miss or a stale entry, tries to take the fill lock. One round trip per read. */
export const READ_OR_LEASE: LuaScript = {
  name: "readOrLease",
  source: READ_OR_LEASE_SOURCE,
  sha1: "7ef89e601b7e36566b4cdb5c889fec641aa23cfa",
};

/** Lease-checked fill: a load that began before a writer's invalidation can never land after it. */
export const FILL: LuaScript = {
  name: "fill",
  source: FILL_SOURCE,
  sha1: "69db93b52b933440b94e0dd07cc249ac24607d41",
};

/** Compare-and-delete of a lock: a late holder cannot release a newer holder's lock. */
export const RELEASE: LuaScript = {
  name: "release",
  source: RELEASE_SOURCE,
  sha1: "f71b582dff052188b12528866410a75d8af77e38",
};

/** Drops an undecodable entry and tries to take its lock. */
export const DROP_AND_LEASE: LuaScript = {
  name: "dropAndLease",
  source: DROP_AND_LEASE_SOURCE,
  sha1: "5427148f2a766fe398a1a2ed9f1c2c6fe976d26e",
};

/** A writer's invalidation: keys, their locks and group generations in one call. */
export const INVALIDATE: LuaScript = {
  name: "invalidate",
  source: INVALIDATE_SOURCE,
  sha1: "ca976b5baff58414baaea4363eb6c2f49a2058f9",
};

/** Every script, for tests and for preloading. */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  READ_OR_LEASE,
  FILL,
  RELEASE,
  DROP_AND_LEASE,
  INVALIDATE,
];
