/**
 * Every Lua script the cache runs, in one module. Each script names its KEYS and ARGV in a header,
 * declares every key it touches in KEYS, and has its SHA-1 pinned here; a test checks the pins and
 * that Redis agrees. Scripts run with EVALSHA and fall back to EVAL on NOSCRIPT (`run-script.ts`).
 *
 * Each script comes in two texts with the same body: plain (stock Redis, through ioredis or
 * node-redis) and for Upstash, whose `#!lua flags=allow-key-locking` shebang lets it run the
 * script under per-key locks instead of its global lock (stock Redis rejects that flag). The port
 * says which it needs (`RedisPort.dialect`).
 *
 * What the keys hold and why losing any of them only ever causes misses: see the package README,
 * "Keys and what losing them does".
 */
import { ENVELOPE_MAGIC } from "./envelope.js";

/** One text of a script and its pinned SHA-1. */
export type ScriptText = { source: string; sha1: string };

/** A script in both dialects. */
export type LuaScript = {
  name: ScriptName;
  /** Runs with EVALSHA_RO / EVAL_RO (a read region may answer it). */
  readOnly: boolean;
  /** For stock Redis. */
  redis: ScriptText;
  /** For Upstash: the same body under `#!lua flags=allow-key-locking`. */
  upstash: ScriptText;
};

/** The scripts the cache uses. */
export type ScriptName =
  | "readOrLease"
  | "peek"
  | "fill"
  | "release"
  | "dropAndLease"
  | "invalidate";

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
  /** The lease was gone (a writer invalidated the key, or the lock expired or was lost): nothing stored. */
  leaseLost: 0,
  /** The group moved on (a writer replaced its generation, or it was lost): nothing stored. */
  groupMoved: -1,
  /** The stored entry (or tombstone) has a newer revision than the load: nothing stored. */
  older: -2,
  /** A replica load with no revision stored to compare it with: nothing stored. */
  unfenced: -3,
} as const;

/** Result codes of {@link INVALIDATE}'s `mode` argument. */
export const InvalidateMode = {
  /** A write that just committed: replaces entries whose revision is not newer. */
  write: "w",
  /** A replay of an applied write after Redis may have lost or restored data: tombstones only older entries. */
  replay: "r",
} as const;

/** Parses an entry's header; the pattern is shared by every script that reads entries. */
const HEADER_PATTERN = `'^${ENVELOPE_MAGIC}|(%a)|([^|]*)|(%d+)|(%d*)|'`;

const READ_OR_LEASE_BODY = `-- readOrLease: read an entry and, when it is missing, stale, too old for the reader or of an old
-- generation, try to take its fill lock (the lease). A group whose generation was lost gets a new
-- random one (this request's token): a lost generation can never come back as an old value.
-- KEYS[1] value key
-- KEYS[2] lock key
-- KEYS[3] watermark key
-- KEYS[4] revision marker key (the newest revision known for the entry, kept past its TTL)
-- KEYS[5] group generation key (optional)
-- ARGV[1] lock token of this request
-- ARGV[2] lock TTL in seconds
-- ARGV[3] lowest revision the reader accepts ('' for any)
-- returns {code, stored entry or '', generation, lock holder or '', stored revision or marker or '', watermark or ''}
local gen = '0'
if KEYS[5] then
  gen = redis.call('GET', KEYS[5])
  if not gen then
    -- @mutation-point read.lost-generation
    gen = ARGV[1]
    redis.call('SET', KEYS[5], gen)
  end
end
local wm = redis.call('GET', KEYS[3]) or ''
local fence = redis.call('GET', KEYS[4]) or ''
local v = redis.call('GET', KEYS[1])
if v then
  local kind, g, window, rev = string.match(v, ${HEADER_PATTERN})
  if not kind then
    redis.call('DEL', KEYS[1])
  else
    if rev ~= '' and (fence == '' or tonumber(rev) > tonumber(fence)) then fence = rev end
    local recent = ARGV[3] == '' or (rev ~= '' and tonumber(rev) >= tonumber(ARGV[3]))
    if kind == 'v' and g == gen and recent then
      window = tonumber(window)
      if window > 0 and redis.call('PTTL', KEYS[1]) <= window then
        if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
          return {1, v, gen, ARGV[1], fence, wm}
        end
        return {2, v, gen, redis.call('GET', KEYS[2]) or '', fence, wm}
      end
      return {0, v, gen, '', fence, wm}
    end
  end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return {3, '', gen, ARGV[1], fence, wm}
end
return {4, '', gen, redis.call('GET', KEYS[2]) or '', fence, wm}
`;

const PEEK_BODY = `-- peek: read an entry without writing anything (a read region may answer it).
-- KEYS[1] value key
-- KEYS[2] watermark key
-- KEYS[3] group generation key (optional)
-- returns {stored entry or '', generation or '' (a group without one), watermark or '', remaining ms}
local gen = '0'
if KEYS[3] then gen = redis.call('GET', KEYS[3]) or '' end
local v = redis.call('GET', KEYS[1])
if not v then return {'', gen, redis.call('GET', KEYS[2]) or '', -2} end
return {v, gen, redis.call('GET', KEYS[2]) or '', redis.call('PTTL', KEYS[1])}
`;

const FILL_BODY = `-- fill: store a loaded entry only while this request still holds the lease, the group has not
-- moved on, and nothing newer is stored or known; release the lease in any case. A versioned fill
-- raises the entry's revision marker, which outlives the entry so that a later miss can still fence
-- a replica load.
-- KEYS[1] value key
-- KEYS[2] lock key
-- KEYS[3] revision marker key
-- KEYS[4] group generation key (optional)
-- ARGV[1] lock token of this request
-- ARGV[2] encoded entry
-- ARGV[3] entry TTL in milliseconds
-- ARGV[4] group generation seen when the lease was taken
-- ARGV[5] revision of the loaded state ('' when not versioned)
-- ARGV[6] '1' when the state was loaded from a replica
-- ARGV[7] revision marker TTL in seconds
-- returns 1 stored, 0 lease lost, -1 group moved on, -2 older than stored, -3 replica load without a fence
-- @mutation-point fill.lease-check
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if KEYS[4] and redis.call('GET', KEYS[4]) ~= ARGV[4] then return -1 end
if ARGV[5] ~= '' then
  local cur = redis.call('GET', KEYS[1])
  local rev = cur and string.match(cur, '^${ENVELOPE_MAGIC}|%a|[^|]*|%d+|(%d*)|')
  local marker = redis.call('GET', KEYS[3])
  if marker and (not rev or rev == '' or tonumber(marker) > tonumber(rev)) then rev = marker end
  -- A replica may lag behind any write acknowledged so far: only a stored revision proves it does not.
  -- @mutation-point fill.replica-fence
  if ARGV[6] == '1' and (not rev or rev == '') then return -3 end
  -- @mutation-point fill.revision-fence
  if rev and rev ~= '' and tonumber(rev) > tonumber(ARGV[5]) then return -2 end
  redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[7])
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

const RELEASE_BODY = `-- release: delete a lock only if this request still owns it.
-- KEYS[1] lock key
-- ARGV[1] lock token of this request
-- returns 1 released, 0 not ours (expired, invalidated or taken by another request)
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const DROP_AND_LEASE_BODY = `-- dropAndLease: remove an entry that failed to decode (only if unchanged), then try to take the lock.
-- KEYS[1] value key
-- KEYS[2] lock key
-- ARGV[1] the undecodable stored value
-- ARGV[2] lock token of this request
-- ARGV[3] lock TTL in seconds
-- returns {code, '', '', current lock holder or '', '', ''} with code 3 (leased) or 4 (locked)
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[3]) then return {3, '', '', ARGV[2], '', ''} end
return {4, '', '', redis.call('GET', KEYS[2]) or '', '', ''}
`;

const INVALIDATE_BODY = `-- invalidate: a writer's one call after its commit, or a replay of applied writes. Deletes every
-- entry's lock (voiding leases taken before it); a versioned entry that is stored and not newer
-- than the write is replaced by the write's state (or a tombstone); an entry that is not stored is
-- left alone (only a load under a fresh lease may create it), and so is a revision marker that is
-- not stored (a stored one is raised to the write's revision); unversioned entries are deleted;
-- each group gets a new random generation; the watermark keeps the highest write id applied.
-- KEYS[1..3n] value key, lock key and revision marker key of each of the n entries
-- KEYS[3n+1..3n+g] group generation keys
-- KEYS[3n+g+1] watermark key
-- ARGV[1] n
-- ARGV[2] g
-- ARGV[3] write id for the watermark ('' for none)
-- ARGV[4] 'w' for a write, 'r' for a replay (which only tombstones entries older than the write)
-- ARGV[5..4+3n] per entry: revision ('' unversioned), encoded state to store, its TTL in ms
-- ARGV[5+3n..4+3n+g] per group: its new generation
-- returns {entries replaced or deleted, previous watermark or ''}
local n = tonumber(ARGV[1])
local g = tonumber(ARGV[2])
local changed = 0
for i = 1, n do
  local rev, state, ttl = ARGV[3 * i + 2], ARGV[3 * i + 3], ARGV[3 * i + 4]
  redis.call('DEL', KEYS[3 * i - 1])
  if rev == '' then
    changed = changed + redis.call('DEL', KEYS[3 * i - 2])
  else
    local marker = tonumber(redis.call('GET', KEYS[3 * i]) or '')
    -- @mutation-point invalidate.marker-present
    if marker and marker < tonumber(rev) then
      redis.call('SET', KEYS[3 * i], rev, 'KEEPTTL')
    end
    local cur = redis.call('GET', KEYS[3 * i - 2])
    if cur then
      local stored = string.match(cur, '^${ENVELOPE_MAGIC}|%a|[^|]*|%d+|(%d*)|')
      stored = tonumber(stored or '')
      -- @mutation-point invalidate.revision-fence
      local replace = not stored or stored < tonumber(rev) or (ARGV[4] == 'w' and stored == tonumber(rev))
      if replace then
        redis.call('SET', KEYS[3 * i - 2], state, 'PX', ttl)
        changed = changed + 1
      end
    end
  end
end
for j = 1, g do
  -- @mutation-point invalidate.group
  redis.call('SET', KEYS[3 * n + j], ARGV[4 + 3 * n + j])
end
local wm = redis.call('GET', KEYS[3 * n + g + 1]) or ''
if ARGV[3] ~= '' and (tonumber(wm) or -1) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3 * n + g + 1], ARGV[3])
end
return {changed, wm}
`;

const UPSTASH_SHEBANG = "#!lua flags=allow-key-locking";

function script(
  name: ScriptName,
  body: string,
  pins: { redis: string; upstash: string },
  readOnly = false,
): LuaScript {
  const shebang = readOnly ? `${UPSTASH_SHEBANG},no-writes` : UPSTASH_SHEBANG;
  return {
    name,
    readOnly,
    redis: { source: body, sha1: pins.redis },
    upstash: { source: `${shebang}\n${body}`, sha1: pins.upstash },
  };
}

/** Reads an entry; on a miss or a stale entry, tries to take the fill lock. One round trip per read. */
export const READ_OR_LEASE: LuaScript = script("readOrLease", READ_OR_LEASE_BODY, {
  redis: "b441b3e8446876d09362ef29d580d48003b6b171",
  upstash: "e9dab8ed45f44682c233a169e234a8de4613d8f7",
});

/** A read-only read of an entry, for read regions (`readConsistency: "nearest"`). */
export const PEEK: LuaScript = script(
  "peek",
  PEEK_BODY,
  {
    redis: "c86795952371dd4e8c3f2f2f01e7f180aa2fa86a",
    upstash: "f27625ae5495087f79311f136d535b5b61c0d897",
  },
  true,
);

/** Lease-checked, revision-fenced fill: a load that began before a writer's invalidation can never land after it. */
export const FILL: LuaScript = script("fill", FILL_BODY, {
  redis: "96b87f6146c72d20ed4070795a44fe43f3e7618e",
  upstash: "8e03a08d4e8657543cad128b679a744c09859e6a",
});

/** Compare-and-delete of a lock: a late holder cannot release a newer holder's lock. */
export const RELEASE: LuaScript = script("release", RELEASE_BODY, {
  redis: "2d055fa385c8ce0c3eab0bfc6ac55c59de1ea237",
  upstash: "f71b582dff052188b12528866410a75d8af77e38",
});

/** Drops an undecodable entry and tries to take its lock. */
export const DROP_AND_LEASE: LuaScript = script("dropAndLease", DROP_AND_LEASE_BODY, {
  redis: "0324d43c4791cee2eb8015a7558eb32a37f11031",
  upstash: "d24d4ebe9877fa9408f3e642bfd12cfa17d93427",
});

/** A writer's invalidation (or a replay): entries, their locks, groups and the watermark in one call. */
export const INVALIDATE: LuaScript = script("invalidate", INVALIDATE_BODY, {
  redis: "d8546b547ae00f28d38cbaa2872b610f33026547",
  upstash: "0683f28d378537757f910dfcb639652c3f81b676",
});

/** Every script, for tests and for preloading. */
export const ALL_SCRIPTS: readonly LuaScript[] = [
  READ_OR_LEASE,
  PEEK,
  FILL,
  RELEASE,
  DROP_AND_LEASE,
  INVALIDATE,
];
