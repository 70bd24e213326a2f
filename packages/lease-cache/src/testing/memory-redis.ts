/**
 * An in-memory {@link RedisPort} for pure unit tests: the cache's scripts re-implemented in
 * TypeScript over a Map, with a controllable clock and fault switches. `scripts-contract.ts` runs
 * the same behaviours against this and against real Redis through every adapter, so the two cannot
 * drift apart.
 */
import { parseEnvelope } from "../envelope.js";
import type { RedisPort } from "../redis-port.js";
import { ALL_SCRIPTS, type ScriptName } from "../scripts.js";

type Item = { value: string; expiresAt: number | undefined };

/** Fault switches of {@link MemoryRedis}. */
export type MemoryRedisFault = "none" | "error" | "hang" | "late-reply";

/** See the module comment. */
export class MemoryRedis implements RedisPort {
  readonly #items = new Map<string, Item>();
  // Scripts start loaded, as on a warm Redis; `flushScripts()` simulates a restart or SCRIPT FLUSH.
  readonly #loaded = new Set<string>(ALL_SCRIPTS.map((s) => s.sha1));
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

  async evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown> {
    await this.#faultGate();
    const script = ALL_SCRIPTS.find((s) => s.sha1 === sha1);
    if (script === undefined || !this.#loaded.has(sha1)) {
      throw new Error("NOSCRIPT No matching script. Please use EVAL.");
    }
    return this.#reply(this.#run(script.name, keys, args));
  }

  async eval(source: string, keys: string[], args: string[]): Promise<unknown> {
    await this.#faultGate();
    const script = ALL_SCRIPTS.find((s) => s.source === source);
    if (script === undefined) {
      throw new Error("ERR unknown script in MemoryRedis");
    }
    this.#loaded.add(script.sha1);
    return this.#reply(this.#run(script.name, keys, args));
  }

  async #reply(result: unknown): Promise<unknown> {
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

  #run(name: ScriptName, keys: string[], args: string[]): unknown {
    this.calls.push(name);
    const k = (i: number) => keys[i] ?? "";
    const a = (i: number) => args[i] ?? "";
    switch (name) {
      case "readOrLease":
        return this.#readOrLease(k(0), k(1), keys[2], a(0), Number(a(1)));
      case "fill": {
        if (this.get(k(1)) !== a(0)) {
          return 0;
        }
        this.#items.delete(k(1));
        if (keys[2] !== undefined && (this.get(keys[2]) ?? "0") !== a(3)) {
          return -1;
        }
        this.set(k(0), a(1), Number(a(2)));
        return 1;
      }
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
          return [3, "", "", a(1)];
        }
        return [4, "", "", this.get(k(1)) ?? ""];
      case "invalidate": {
        const groups = Number(a(0));
        const last = keys.length - groups;
        let deleted = 0;
        for (const key of keys.slice(0, last)) {
          if (this.get(key) !== undefined) {
            deleted += 1;
          }
          this.#items.delete(key);
        }
        for (const key of keys.slice(last)) {
          const ttl = this.pttl(key);
          this.set(key, String(Number(this.get(key) ?? "0") + 1), ttl > 0 ? ttl : undefined);
        }
        return deleted;
      }
    }
  }

  #readOrLease(
    key: string,
    lock: string,
    group: string | undefined,
    token: string,
    lockTtlS: number,
  ): unknown {
    const gen = group === undefined ? "0" : (this.get(group) ?? "0");
    const raw = this.get(key);
    if (raw !== undefined) {
      const header = parseEnvelope(raw);
      if (header === undefined) {
        this.#items.delete(key);
      } else if (header.generation === gen) {
        const window = header.staleWindowMs;
        if (window > 0 && this.pttl(key) <= window) {
          if (this.#setNx(lock, token, lockTtlS * 1000)) {
            return [1, raw, gen, token];
          }
          return [2, raw, gen, this.get(lock) ?? ""];
        }
        return [0, raw, gen, ""];
      }
    }
    if (this.#setNx(lock, token, lockTtlS * 1000)) {
      return [3, "", gen, token];
    }
    return [4, "", gen, this.get(lock) ?? ""];
  }

  #setNx(key: string, value: string, ttlMs: number): boolean {
    if (this.get(key) !== undefined) {
      return false;
    }
    this.set(key, value, ttlMs);
    return true;
  }
}
