/**
 * A private PostgreSQL primary and a hot standby streaming from it (`pg_basebackup -R`), on free
 * loopback ports, in one temporary directory removed on close. The lag knob is the standby's
 * `recovery_min_apply_delay`: each commit becomes visible there that much after it committed on
 * the primary. Switching it while running wakes a standby that is holding a commit.
 * @module
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations, type MigrateResult } from "../migrate";
import { freePort } from "../redis-server";
import { checkLag } from "./lag-relay";
import {
  copyDataDir,
  makeClusterRoot,
  postgresBinDir,
  reapOrphans,
  runPgTool,
  startCluster,
  stopCluster,
  templateDataDir,
} from "./postgres-cluster";

/** Options of {@link startPostgresPair}. */
export type PostgresPairOptions = {
  /** The standby's apply delay to start with, in ms. @default 0 */
  lagMs?: number;
  /**
   * Apply the project's migrations (`migrations/`) on the primary and wait until the standby has
   * replayed them. @default false
   */
  migrate?: boolean;
  /** How long to wait for the standby's first streaming connection, in ms. @default 30000 */
  startTimeoutMs?: number;
};

/** A running pair. */
export type PostgresPair = {
  /** The primary (`postgresql://postgres:postgres@127.0.0.1:PORT/postgres`; trust auth). */
  primaryUrl: string;
  /** The hot standby: read-only, `pg_is_in_recovery()` is true. */
  replicaUrl: string;
  /** The apply delay in force, in ms. */
  readonly lagMs: number;
  /**
   * Sets `recovery_min_apply_delay` on the standby (`ALTER SYSTEM` + `pg_reload_conf()`) and
   * resolves once the standby reports the new value.
   */
  setLag(ms: number): Promise<void>;
  /** The primary's current WAL position (`pg_current_wal_lsn()`, `X/Y` text). */
  currentLsn(): Promise<string>;
  /**
   * Resolves once the standby has replayed `lsn` (@default the primary's position now).
   * @throws Error after `timeoutMs` (@default 10000)
   */
  waitForReplay(lsn?: string, timeoutMs?: number): Promise<void>;
  /** What `migrate: true` did; `undefined` without it. */
  migrations: MigrateResult | undefined;
  /** Milliseconds from the call to a streaming standby (migrations excluded). */
  startupMs: number;
  /** Stops both servers and removes their directory. */
  close(): Promise<void>;
};

const POLL_MS = 5;
const PAIR_LABEL = "pair";

/** Starts the pair; see {@link PostgresPair}. On failure everything started is stopped. */
export async function startPostgresPair(opts: PostgresPairOptions = {}): Promise<PostgresPair> {
  const started = performance.now();
  const binDir = await postgresBinDir();
  await reapOrphans(binDir, PAIR_LABEL);
  const [template, root] = await Promise.all([
    templateDataDir(binDir),
    makeClusterRoot(PAIR_LABEL),
  ]);
  await writeFile(join(root, "owner.pid"), String(process.pid));
  const primaryDir = join(root, "primary");
  const standbyDir = join(root, "standby");
  const clients: pg.Client[] = [];
  const close = async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await stopCluster(binDir, standbyDir).catch(() => undefined);
    await stopCluster(binDir, primaryDir).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const [primaryPort, standbyPort] = await distinctFreePorts();
    await copyDataDir(template, primaryDir);
    await startCluster(binDir, primaryDir, primaryPort);
    await runPgTool(binDir, "pg_basebackup", [
      ...["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres"],
      ...["-D", standbyDir, "-R", "-X", "stream", "-c", "fast", "--no-sync"],
    ]);
    const lagMs = checkLag(opts.lagMs ?? 0);
    await startCluster(binDir, standbyDir, standbyPort);
    const primaryUrl = pgUrl(primaryPort);
    const replicaUrl = pgUrl(standbyPort);
    const primary = await connected(primaryUrl, clients);
    const standby = await connected(replicaUrl, clients);
    await pollUntil(
      standby,
      "SELECT status = 'streaming' AS done FROM pg_stat_wal_receiver",
      [],
      opts.startTimeoutMs ?? 30_000,
      "the standby did not start streaming",
    );
    const startupMs = performance.now() - started;
    let currentLag = 0;
    const setLag = async (ms: number) => {
      const value = `${Math.round(checkLag(ms))}ms`;
      await standby.query(`ALTER SYSTEM SET recovery_min_apply_delay = '${value}'`);
      await standby.query("SELECT pg_reload_conf()");
      // The setting (in ms) as this backend sees it after the reload signal reached it.
      await pollUntil(
        standby,
        "SELECT setting::bigint = $1 AS done FROM pg_settings WHERE name = 'recovery_min_apply_delay'",
        [Math.round(ms)],
        10_000,
        "the standby did not take the new recovery_min_apply_delay",
      );
      currentLag = ms;
    };
    const currentLsn = async () => {
      const { rows } = await primary.query<{ lsn: string }>(
        "SELECT pg_current_wal_lsn()::text AS lsn",
      );
      return rows[0]?.lsn ?? "0/0";
    };
    const waitForReplay = async (lsn?: string, timeoutMs = 10_000) => {
      const target = lsn ?? (await currentLsn());
      await pollUntil(
        standby,
        "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), $1::pg_lsn) >= 0 AS done",
        [target],
        timeoutMs,
        `the standby did not replay ${target}`,
      );
    };
    const migrations = opts.migrate ? await applyMigrations(primaryUrl) : undefined;
    if (migrations !== undefined) {
      await waitForReplay();
    }
    if (lagMs > 0) {
      await setLag(lagMs);
    }
    return {
      primaryUrl,
      replicaUrl,
      get lagMs() {
        return currentLag;
      },
      setLag,
      currentLsn,
      waitForReplay,
      migrations,
      startupMs,
      close,
    };
  } catch (error: unknown) {
    await close();
    throw error;
  }
}

function pgUrl(port: number): string {
  return `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
}

async function distinctFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) {
    second = await freePort();
  }
  return [first, second];
}

async function connected(url: string, clients: pg.Client[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  // A server stopped under an idle client must not become an unhandled 'error' event.
  client.on("error", () => undefined);
  clients.push(client);
  await client.connect();
  return client;
}

/** Polls a query returning one row `{ done: boolean }` until it is true or time runs out. */
async function pollUntil(
  client: pg.Client,
  sql: string,
  params: unknown[],
  timeoutMs: number,
  failure: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ done: boolean | null }>(sql, params);
    if (rows[0]?.done === true) {
      return;
    }
    // Postgres has no notification for replay progress that a client can wait on.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`${failure} within ${timeoutMs} ms`);
}
