/**
 * How far a Redis replica has applied the primary's replication stream, and a bounded wait for it
 * to reach an offset. One poll loop per replica serves every waiting request, and runs only while
 * someone waits.
 * @module
 */
import { readReplicationState } from "../shared/redis-replication";
import type { RespClient } from "./resp-client";

type Waiter = { target: number; resolve: (reached: boolean) => void; timer: NodeJS.Timeout };

/** The replica's applied offset, as last seen, plus {@link ReplicaProgress.reach}. */
export class ReplicaProgress {
  readonly #client: RespClient;
  readonly #pollMs: number;
  readonly #waiters = new Set<Waiter>();
  #offset = -1;
  #polling = false;

  /**
   * @param client the replica
   * @param pollMs pause between two `INFO replication` reads while someone waits
   */
  constructor(client: RespClient, pollMs: number) {
    this.#client = client;
    this.#pollMs = pollMs;
  }

  /** The applied offset last read (-1 before the first read). A lower bound of the true one. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Resolves `true` as soon as the replica has applied `target`, `false` when `timeoutMs` passes
   * first or the replica cannot be asked (unreachable: waiting would not help). Never rejects.
   */
  reach(target: number, timeoutMs: number): Promise<boolean> {
    if (this.#offset >= target) {
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        target,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
      void this.#poll();
    });
  }

  /** Releases every waiter with `false` (server shutting down). */
  stop(): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.#waiters.clear();
  }

  async #poll(): Promise<void> {
    if (this.#polling) {
      return;
    }
    this.#polling = true;
    try {
      while (this.#waiters.size > 0) {
        const asked = await this.#refresh();
        for (const waiter of this.#waiters) {
          if (!asked || this.#offset >= waiter.target) {
            clearTimeout(waiter.timer);
            this.#waiters.delete(waiter);
            waiter.resolve(asked);
          }
        }
        if (this.#waiters.size > 0) {
          // Redis has no notification for replication progress; INFO replication is cheap.
          await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  /** Reads the offset; `false` when the replica could not be asked (the last value stays). */
  async #refresh(): Promise<boolean> {
    try {
      // Not max(): after a full resync on a new history the offset may legitimately go down.
      this.#offset = (await readReplicationState(this.#client)).offset;
      return true;
    } catch {
      return false;
    }
  }
}
