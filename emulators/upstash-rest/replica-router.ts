/**
 * Read-region routing for the REST server, as an Upstash Global database does it: read commands
 * (including `EVAL_RO` / `EVALSHA_RO`) and pipelines made only of them are answered by a Redis
 * replica; everything else (writes, `EVAL`/`EVALSHA`, `/multi-exec`, pipelines with a write,
 * commands flagged neither read nor write) runs at the primary.
 *
 * Sync tokens are replication offsets (decimal text). A response from the primary carries the
 * primary's `master_repl_offset` read after the request ran, so it covers that request's writes;
 * a response from the replica carries an offset the replica had applied before it answered. A
 * request that sends a token is answered by the replica only once the replica has applied that
 * offset, waiting at most `syncWaitMs`; past that it runs at the primary. Tokens never go down for
 * a client: each response carries at least the token the request sent.
 * @module
 */
import { readReplicationState } from "../shared/redis-replication";
import { CommandTable } from "./command-table";
import type { PlannedCommand } from "./commands";
import { ReplicaProgress } from "./replica-progress";
import { RedisConnectionError, RespClient } from "./resp-client";
import type { ScriptRegistry } from "./scripts";

/** Where one request ran. */
export type Backend = "primary" | "replica";

/** Counters of where requests ran, for tests and the bench. */
export type ReplicaStats = {
  /** Requests answered by the primary (writes, fallbacks, everything not a read). */
  primary: number;
  /** Requests answered by the replica. */
  replica: number;
  /** Replica-bound requests whose sync token was ahead of the replica, so they waited. */
  waited: number;
  /** Replica-bound requests answered by the primary instead (wait timed out, replica down). */
  fellBack: number;
  /** Scripts loaded into the replica's script cache after a `NOSCRIPT` there. */
  scriptLoads: number;
};

/** How the router reaches the replica and how long it waits for it. */
export type ReplicaRoutingOptions = {
  /** `redis://host:port[/db]` of a replica of the server's `redisUrl`. */
  replicaUrl: string;
  /**
   * Longest wait for the replica to reach a request's sync token before the request runs at the
   * primary instead, in ms. Upstash does not document its own. @default 1000
   */
  syncWaitMs?: number;
  /** Pause between two replica offset reads while a request waits, in ms. @default 2 */
  pollMs?: number;
};

/** Defaults of {@link ReplicaRoutingOptions}. */
export const REPLICA_ROUTING_DEFAULTS = Object.freeze({ syncWaitMs: 1000, pollMs: 2 });

/** What a request produced, and the sync token its response carries. */
export type Served = { status: number; payload: unknown; token: number };

/** Runs a request's commands on one backend (the server's single/pipeline/multi-exec code). */
export type RunOn = (backend: Backend, client: RespClient) => Promise<[number, unknown]>;

type Route = "single" | "pipeline" | "multi-exec";

/** Routes requests between a primary and its replica; see the module comment. */
export class ReplicaRouter {
  /** Where requests ran so far. */
  readonly stats: ReplicaStats = { primary: 0, replica: 0, waited: 0, fellBack: 0, scriptLoads: 0 };
  readonly #primary: RespClient;
  readonly #replica: RespClient;
  readonly #commands: CommandTable;
  readonly #progress: ReplicaProgress;
  readonly #scripts: ScriptRegistry;
  readonly #syncWaitMs: number;

  constructor(primary: RespClient, scripts: ScriptRegistry, options: ReplicaRoutingOptions) {
    this.#primary = primary;
    this.#replica = new RespClient(options.replicaUrl);
    this.#commands = new CommandTable(primary);
    this.#progress = new ReplicaProgress(
      this.#replica,
      options.pollMs ?? REPLICA_ROUTING_DEFAULTS.pollMs,
    );
    this.#scripts = scripts;
    this.#syncWaitMs = options.syncWaitMs ?? REPLICA_ROUTING_DEFAULTS.syncWaitMs;
  }

  /**
   * Runs one request where it belongs. `token` is the request's sync token (0 for none).
   * @throws RedisConnectionError when the primary is needed and unreachable
   */
  async serve(route: Route, plans: PlannedCommand[], token: number, run: RunOn): Promise<Served> {
    if (route !== "multi-exec" && (await this.#onlyReads(plans))) {
      const answered = await this.#tryReplica(plans, token, run);
      if (answered !== undefined) {
        this.stats.replica += 1;
        return { ...answered, token: Math.max(token, this.#progress.offset) };
      }
      this.stats.fellBack += 1;
    }
    const [status, payload] = await run("primary", this.#primary);
    this.stats.primary += 1;
    const offset = (await readReplicationState(this.#primary)).offset;
    return { status, payload, token: Math.max(token, offset) };
  }

  /** Stops waiting requests (they fall back) and closes the replica connections. */
  async close(): Promise<void> {
    this.#progress.stop();
    await this.#replica.close();
  }

  /** At least one command runs and every one that runs is a read. */
  async #onlyReads(plans: PlannedCommand[]): Promise<boolean> {
    const runnable = plans.flatMap((plan) => ("args" in plan ? [plan.args] : []));
    if (runnable.length === 0) {
      return false;
    }
    const reads = await Promise.all(runnable.map((args) => this.#commands.isReadOnly(args)));
    return reads.every(Boolean);
  }

  /** The replica's answer, or `undefined` when the primary has to answer instead. */
  async #tryReplica(
    plans: PlannedCommand[],
    token: number,
    run: RunOn,
  ): Promise<Omit<Served, "token"> | undefined> {
    if (token > 0 && this.#progress.offset < token) {
      this.stats.waited += 1;
      if (!(await this.#progress.reach(token, this.#syncWaitMs))) {
        return undefined;
      }
    }
    try {
      let [status, payload] = await run("replica", this.#replica);
      const missing = missingScripts(plans, payload);
      if (missing.length > 0) {
        // Redis does not replicate its script cache; Upstash's read regions know every script.
        if (!(await this.#loadOnReplica(missing))) {
          return undefined;
        }
        [status, payload] = await run("replica", this.#replica);
      }
      return { status, payload };
    } catch (error: unknown) {
      if (error instanceof RedisConnectionError) {
        return undefined;
      }
      throw error;
    }
  }

  /** Loads scripts this server has seen into the replica; `false` when one is unknown. */
  async #loadOnReplica(shas: string[]): Promise<boolean> {
    const texts = shas.map((sha) => this.#scripts.textFor(sha));
    if (texts.some((text) => text === undefined)) {
      return false;
    }
    for (const text of texts) {
      await this.#replica.send(["SCRIPT", "LOAD", text ?? ""]);
      this.stats.scriptLoads += 1;
    }
    return true;
  }
}

/** SHA-1s of `EVALSHA_RO` entries that the replica answered with `NOSCRIPT`. */
function missingScripts(plans: PlannedCommand[], payload: unknown): string[] {
  const entries: unknown[] = Array.isArray(payload) ? payload : [payload];
  const shas = new Set<string>();
  plans.forEach((plan, index) => {
    const entry = entries[index];
    const error =
      typeof entry === "object" && entry !== null && "error" in entry ? entry.error : undefined;
    if ("args" in plan && plan.name === "EVALSHA_RO" && typeof error === "string") {
      if (error.startsWith("NOSCRIPT") && plan.args[1] !== undefined) {
        shas.add(plan.args[1].toLowerCase());
      }
    }
  });
  return [...shas];
}
