/**
 * An in-memory {@link RedisPort} for pure unit tests: the cache's scripts re-implemented in
 * TypeScript over a Map, with a controllable clock, fault switches and ways to forget (delete a
 * key, flush, snapshot and restore). `registerScriptsContract` runs the same behaviours against
 * this and against real Redis through every adapter, so the two cannot drift apart.
 */
import { parseEnvelope } from "../envelope.js";
import type { RedisPort } from "../redis-port.js";
import { ALL_SCRIPTS, InvalidateMode, type LuaScript, type ScriptName } from "../scripts.js";

type Item = { value: string; expiresAt: number | undefined };

/** Fault switches of {@link MemoryRedis}. */
export type MemoryRedisFault = "none" | "error" | "hang" | "late-reply";

/** A copy of every key, as a snapshot on disk would hold it (see {@link MemoryRedis.restore}). */
export type MemorySnapshot = ReadonlyMap<string, Item>;

/** See the module comment. */
export class MemoryRedis implements RedisPort {
  #items = new Map<string, Item>();
  // Scripts start loaded, as on a warm Redis; `flushScripts()` simulates a restart or SCRIPT FLUSH.
  readonly #loaded = new Set<string>(ALL_SCRIPTS.map((s) => s.redis.sha1));
  /** Current time in ms; advance it to age entries and locks. */
  now = 0;
  /** Applied to every call while set. `late-reply` runs the script, then answers after `lateMs`. */
  fault: MemoryRedisFault = "none";
  /** Reply delay of the `late-reply` fault, in real ms. */
  lateMs = 200;
  /** Every script call, by name, in order. */
  readonly calls: ScriptName[] = [];

  /** Reads a key as Redis would (expired keys are gone). */
  get(key: string): string | undefined {
    const item = this.#items.get(key);
    if (item === undefined) {
      return undefined;
    }
    if (item.expiresAt !== undefined && item.expiresAt <= this.now) {
      this.#items.delete(key);
      return undefined;
    }
    return item.value;
  }

  /** Writes a key directly (for corrupt-entry tests). */
  set(key: string, value: string, ttlMs?: number): void {
    this.#items.set(key, { value, expiresAt: ttlMs === undefined ? undefined : this.now + ttlMs });
  }

  /** Forgets one key, as an eviction would. */
  delete(key: string): void {
    this.#items.delete(key);
  }

  /** Forgets every key, as FLUSHDB does. */
  flush(): void {
    this.#items.clear();
  }

  /** Every key that has not expired. */
  keys(): string[] {
    return [...this.#items.keys()].filter((key) => this.get(key) !== undefined);
  }

  /** A copy of every key with its absolute expiry, as SAVE writes it. */
  snapshot(): MemorySnapshot {
    return new Map([...this.#items].map(([key, item]) => [key, { ...item }]));
  }

  /** Comes back with `snapshot`'s data, as a restart from an older snapshot or a failover does. */
  restore(snapshot: MemorySnapshot): void {
    this.#items = new Map([...snapshot].map(([key, item]) => [key, { ...item }]));
  }

  /** Remaining lifetime in ms, -1 without expiry, -2 when absent (as PTTL). */
  pttl(key: string): number {
    if (this.get(key) === undefined) {
      return -2;
    }
    const at = this.#items.get(key)?.expiresAt;
    return at === undefined ? -1 : at - this.now;
  }

  /** Forgets loaded scripts, as SCRIPT FLUSH does. */
  flushScripts(): void {
    this.#loaded.clear();
  }

  // A script runs at once here: a signal has nothing to end.
  async evalsha(
    sha1: string,
    keys: string[],
    args: string[],
    _signal?: AbortSignal,
  ): Promise<unknown> {
    return this.#run(this.#scriptBySha(sha1), keys, args, false);
  }

  async eval(
    source: string,
    keys: string[],
    args: string[],
    _signal?: AbortSignal,
  ): Promise<unknown> {
    return this.#run(this.#scriptBySource(source), keys, args, false);
  }

  async evalshaRo(
    sha1: string,
    keys: string[],
    args: string[],
    _signal?: AbortSignal,
  ): Promise<unknown> {
    return this.#run(this.#scriptBySha(sha1), keys, args, true);
  }

  async evalRo(
    source: string,
    keys: string[],
    args: string[],
    _signal?: AbortSignal,
  ): Promise<unknown> {
    return this.#run(this.#scriptBySource(source), keys, args, true);
  }

  #scriptBySha(sha1: string): LuaScript | undefined {
    const script = ALL_SCRIPTS.find((s) => s.redis.sha1 === sha1);
    return script !== undefined && this.#loaded.has(sha1) ? script : undefined;
  }

  #scriptBySource(source: string): LuaScript {
    const script = ALL_SCRIPTS.find((s) => s.redis.source === source);
    if (script === undefined) {
      throw new Error("ERR unknown script in MemoryRedis");
    }
    this.#loaded.add(script.redis.sha1);
    return script;
  }

  async #run(
    script: LuaScript | undefined,
    keys: string[],
    args: string[],
    readOnly: boolean,
  ): Promise<unknown> {
    await this.#faultGate();
    if (script === undefined) {
      throw new Error("NOSCRIPT No matching script. Please use EVAL.");
    }
    if (readOnly && !script.readOnly) {
      throw new Error("ERR Write commands are not allowed from read-only scripts.");
    }
    this.calls.push(script.name);
    const result = this.#execute(script.name, keys, args);
    if (this.fault === "late-reply") {
      await new Promise((resolve) => setTimeout(resolve, this.lateMs));
    }
    return result;
  }

  async #faultGate(): Promise<void> {
    if (this.fault === "error") {
      throw new Error("ERR injected fault");
    }
    if (this.fault === "hang") {
      await new Promise<never>(() => {});
    }
  }

  #execute(name: ScriptName, keys: string[], args: string[]): unknown {
    const k = (i: number) => keys[i] ?? "";
    const a = (i: number) => args[i] ?? "";
    switch (name) {
      case "readOrLease":
        return this.#readOrLease(k(0), k(1), k(2), k(3), keys[4], a(0), Number(a(1)), a(2));
      case "peek":
        return this.#peek(k(0), k(1), keys[2]);
      case "fill":
        return this.#fill(k(0), k(1), k(2), keys[3], args);
      case "release":
        if (this.get(k(0)) === a(0)) {
          this.#items.delete(k(0));
          return 1;
        }
        return 0;
      case "dropAndLease":
        if (this.get(k(0)) === a(0)) {
          this.#items.delete(k(0));
        }
        if (this.#setNx(k(1), a(1), Number(a(2)) * 1000)) {
          return [3, "", "", a(1), "", ""];
        }
        return [4, "", "", this.get(k(1)) ?? "", "", ""];
      case "invalidate":
        return this.#invalidate(keys, args);
    }
  }

  #readOrLease(
    key: string,
    lock: string,
    watermarkKey: string,
    marker: string,
    group: string | undefined,
    token: string,
    lockTtlS: number,
    minRev: string,
  ): unknown {
    let gen = "0";
    if (group !== undefined) {
      const current = this.get(group);
      gen = current ?? token;
      if (current === undefined) {
        this.set(group, gen);
      }
    }
    const wm = this.get(watermarkKey) ?? "";
    let fence = this.get(marker) ?? "";
    const raw = this.get(key);
    if (raw !== undefined) {
      const header = parseEnvelope(raw);
      if (header === undefined) {
        this.#items.delete(key);
      } else {
        if (header.rev !== undefined && (fence === "" || header.rev > Number(fence))) {
          fence = String(header.rev);
        }
        const recent = minRev === "" || (header.rev !== undefined && header.rev >= Number(minRev));
        if (header.kind === "v" && header.generation === gen && recent) {
          const window = header.staleWindowMs;
          if (window > 0 && this.pttl(key) <= window) {
            if (this.#setNx(lock, token, lockTtlS * 1000)) {
              return [1, raw, gen, token, fence, wm];
            }
            return [2, raw, gen, this.get(lock) ?? "", fence, wm];
          }
          return [0, raw, gen, "", fence, wm];
        }
      }
    }
    if (this.#setNx(lock, token, lockTtlS * 1000)) {
      return [3, "", gen, token, fence, wm];
    }
    return [4, "", gen, this.get(lock) ?? "", fence, wm];
  }

  #peek(key: string, watermarkKey: string, group: string | undefined): unknown {
    const gen = group === undefined ? "0" : (this.get(group) ?? "");
    const wm = this.get(watermarkKey) ?? "";
    const raw = this.get(key);
    return raw === undefined ? ["", gen, wm, -2] : [raw, gen, wm, this.pttl(key)];
  }

  #fill(
    key: string,
    lock: string,
    marker: string,
    group: string | undefined,
    args: string[],
  ): number {
    const [token, encoded, ttl, seenGen, rev, fromReplica, markerTtlS] = args;
    if (this.get(lock) !== token) {
      return 0;
    }
    this.#items.delete(lock);
    if (group !== undefined && this.get(group) !== seenGen) {
      return -1;
    }
    if (rev !== undefined && rev !== "") {
      const current = this.get(key);
      const markerValue = this.get(marker);
      const revs = [
        current === undefined ? undefined : parseEnvelope(current)?.rev,
        markerValue === undefined ? undefined : Number(markerValue),
      ].filter((rev): rev is number => rev !== undefined);
      const stored = revs.length === 0 ? undefined : Math.max(...revs);
      if (fromReplica === "1" && stored === undefined) {
        return -3;
      }
      if (stored !== undefined && stored > Number(rev)) {
        return -2;
      }
      this.set(marker, rev, Number(markerTtlS) * 1000);
    }
    this.set(key, encoded ?? "", Number(ttl));
    return 1;
  }

  #invalidate(keys: string[], args: string[]): unknown {
    const n = Number(args[0]);
    const g = Number(args[1]);
    const writeId = args[2] ?? "";
    const write = args[3] === InvalidateMode.write;
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const key = keys[3 * i] ?? "";
      const [rev, state, ttl] = args.slice(4 + 3 * i, 7 + 3 * i);
      this.#items.delete(keys[3 * i + 1] ?? "");
      if (rev === undefined || rev === "") {
        if (this.get(key) !== undefined) {
          changed += 1;
        }
        this.#items.delete(key);
        continue;
      }
      const written = Number(rev);
      this.#raiseMarker(keys[3 * i + 2] ?? "", written);
      const current = this.get(key);
      if (current === undefined) {
        continue;
      }
      const stored = parseEnvelope(current)?.rev;
      if (stored === undefined || stored < written || (write && stored === written)) {
        this.set(key, state ?? "", Number(ttl));
        changed += 1;
      }
    }
    for (let j = 0; j < g; j++) {
      this.set(keys[3 * n + j] ?? "", args[4 + 3 * n + j] ?? "");
    }
    const watermarkKey = keys[3 * n + g] ?? "";
    const wm = this.get(watermarkKey) ?? "";
    if (writeId !== "" && (wm === "" ? -1 : Number(wm)) < Number(writeId)) {
      this.set(watermarkKey, writeId);
    }
    return [changed, wm];
  }

  /** A stored marker below `rev` is raised, keeping its expiry; a missing one stays missing. */
  #raiseMarker(marker: string, rev: number): void {
    const item = this.#items.get(marker);
    if (this.get(marker) === undefined || item === undefined || Number(item.value) >= rev) {
      return;
    }
    this.#items.set(marker, { value: String(rev), expiresAt: item.expiresAt });
  }

  #setNx(key: string, value: string, ttlMs: number): boolean {
    if (this.get(key) !== undefined) {
      return false;
    }
    this.set(key, value, ttlMs);
    return true;
  }
}
