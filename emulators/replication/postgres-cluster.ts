/**
 * Throw-away PostgreSQL clusters from the distribution's binaries (Debian:
 * `/usr/lib/postgresql/<major>/bin`), for a primary and its hot standby.
 *
 * Postgres refuses to run as root, so under root every binary runs as the `postgres` user through
 * `runuser` and data directories are handed to that user; otherwise they run as the current user.
 * `initdb` runs once per machine and binary version: its output is kept as a template in the
 * temporary directory and copied for every new primary (a copy takes ~0.1 s, `initdb` ~1.5 s).
 * Clusters live in memory (`/dev/shm`) when it has room, since they are thrown away anyway and a
 * busy disk made copies and base backups ten times slower; else in the OS temporary directory.
 * WAL segments are 1 MB instead of 16 MB, for the same reason.
 * @module
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  access,
  appendFile,
  chown,
  constants,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  statfs,
} from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where the binaries are looked for when `PG_BIN_DIR` is not set. */
export const DEBIAN_PG_ROOT = "/usr/lib/postgresql";

/** The user clusters run as when this process is root. */
export const PG_SYSTEM_USER = "postgres";

/** Prefix of every temporary directory this module creates (templates and pairs). */
export const TEMP_PREFIX = "eca-pg";

/** Memory-backed directory used for clusters when it has {@link MIN_SHM_BYTES} free. */
const SHM_DIR = "/dev/shm";
// A template and a few pairs fit easily; Docker's default 64 MB /dev/shm does not qualify.
const MIN_SHM_BYTES = 1024 * 1024 * 1024;

/**
 * Settings of every cluster, primary and standby alike (a standby inherits the primary's file).
 * Durability is off (`fsync`): these clusters never outlive a crash. `synchronous_commit` stays
 * on because the WAL sender ships only flushed WAL: with it off, a commit would reach the standby
 * up to `wal_writer_delay` later, lag nobody asked for. `hot_standby_feedback` (ignored by a
 * primary): without it, a vacuum on the primary that removes rows a standby query might still
 * see ends that standby session ("terminating connection due to conflict with recovery") — under
 * a minute of the checker's load it ended the pair's own admin session, and with it the lag knob.
 */
const BASE_CONFIG = `
# edge-cache-aside throw-away cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 10
wal_keep_size = '64MB'
hot_standby = on
hot_standby_feedback = on
fsync = off
shared_buffers = '16MB'
max_connections = 40
timezone = 'UTC'
`;

/** Lines added to `pg_hba.conf`: trust on loopback TCP, replication included. */
const HBA_LINES = `
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
`;

// Bump when BASE_CONFIG, HBA_LINES or the initdb options change, so an old template is not reused.
const TEMPLATE_REVISION = 3;

let base: Promise<string> | undefined;

/** Where clusters and templates go: `PG_PAIR_DIR`, else `/dev/shm` with room, else tmpdir(). */
export function clusterBaseDir(): Promise<string> {
  base ??= (async () => {
    const fromEnv = process.env.PG_PAIR_DIR;
    if (fromEnv !== undefined && fromEnv !== "") {
      return fromEnv;
    }
    try {
      await access(SHM_DIR, constants.W_OK);
      const stats = await statfs(SHM_DIR);
      return stats.bavail * stats.bsize >= MIN_SHM_BYTES ? SHM_DIR : tmpdir();
    } catch {
      return tmpdir();
    }
  })();
  return base;
}

/**
 * The directory of the Postgres binaries: `PG_BIN_DIR`, else the highest major version under
 * {@link DEBIAN_PG_ROOT}.
 * @throws Error with an install hint when none is found
 */
export async function postgresBinDir(): Promise<string> {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== "") {
    return fromEnv;
  }
  const versions = existsSync(DEBIAN_PG_ROOT) ? await readdir(DEBIAN_PG_ROOT) : [];
  const found = versions
    .filter((v) => /^\d+$/.test(v) && existsSync(join(DEBIAN_PG_ROOT, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (found === undefined) {
    throw new Error(
      `no PostgreSQL server binaries under ${DEBIAN_PG_ROOT} (apt-get install postgresql), and PG_BIN_DIR is not set`,
    );
  }
  return join(DEBIAN_PG_ROOT, found, "bin");
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Runs a Postgres binary (as `postgres` when this process is root) and returns its stdout.
 * @throws Error carrying the binary's stderr when it fails
 */
export async function runPgTool(binDir: string, tool: string, args: string[]): Promise<string> {
  const bin = join(binDir, tool);
  const [file, argv] = isRoot()
    ? ["runuser", ["-u", PG_SYSTEM_USER, "--", bin, ...args]]
    : [bin, args];
  try {
    const { stdout } = await run(file, argv, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error: unknown) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? "";
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${tool} failed: ${stderr || message}`);
  }
}

/** Makes `path` (a directory this process created) owned by the user the clusters run as. */
export async function handToPostgres(path: string): Promise<void> {
  if (isRoot()) {
    const { uid, gid } = await postgresIds();
    await chown(path, uid, gid);
  }
}

let ids: Promise<{ uid: number; gid: number }> | undefined;
function postgresIds(): Promise<{ uid: number; gid: number }> {
  ids ??= Promise.all([run("id", ["-u", PG_SYSTEM_USER]), run("id", ["-g", PG_SYSTEM_USER])]).then(
    ([u, g]) => ({ uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }),
  );
  return ids;
}

/** A new temporary directory owned by the cluster user. */
export async function makeClusterRoot(label: string): Promise<string> {
  const dir = await mkdtemp(join(await clusterBaseDir(), `${TEMP_PREFIX}${label}-`));
  await handToPostgres(dir);
  return dir;
}

let template: Promise<string> | undefined;

/**
 * The data directory of an initialised, never started cluster with {@link BASE_CONFIG}: made once
 * per machine, binary version and user, then reused (copy it, never start it).
 */
export function templateDataDir(binDir: string): Promise<string> {
  template ??= buildTemplate(binDir).catch((error: unknown) => {
    template = undefined;
    throw error;
  });
  return template;
}

async function buildTemplate(binDir: string): Promise<string> {
  const version = (await runPgTool(binDir, "postgres", ["--version"])).trim();
  const key = createHash("sha1")
    .update(`${version}|${userInfo().uid}|${TEMPLATE_REVISION}|${binDir}`)
    .digest("hex")
    .slice(0, 12);
  const home = join(await clusterBaseDir(), `${TEMP_PREFIX}-template-${key}`);
  const data = join(home, "data");
  if (existsSync(join(home, "ready"))) {
    return data;
  }
  const building = await makeClusterRoot("-template-build");
  try {
    const dataDir = join(building, "data");
    await runPgTool(binDir, "initdb", [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
      "--encoding=UTF8",
      "--no-locale",
      "--wal-segsize=1",
    ]);
    await appendFile(join(dataDir, "postgresql.conf"), BASE_CONFIG);
    await appendFile(join(dataDir, "pg_hba.conf"), HBA_LINES);
    await appendFile(join(building, "ready"), `${version}\n`);
    // Atomic publication: a concurrent builder (another test worker) loses the rename, not data.
    await rename(building, home);
  } catch (error: unknown) {
    await rm(building, { recursive: true, force: true });
    if (existsSync(join(home, "ready"))) {
      return data;
    }
    throw error;
  }
  return data;
}

/** Copies a data directory keeping owners and modes (Postgres insists on 0700). */
export async function copyDataDir(from: string, to: string): Promise<void> {
  await run("cp", ["-a", from, to]);
}

/**
 * Starts the cluster in `dataDir` on `port` and waits until it accepts connections.
 * @throws Error with the tail of the server log when it does not come up
 */
export async function startCluster(binDir: string, dataDir: string, port: number): Promise<void> {
  await appendFile(join(dataDir, "postgresql.conf"), `port = ${port}\n`);
  const log = `${dataDir}.log`;
  try {
    await runPgTool(binDir, "pg_ctl", ["-D", dataDir, "-l", log, "-w", "-t", "60", "-s", "start"]);
  } catch (error: unknown) {
    const tail = await readFile(log, "utf8").then(
      (text) => text.trim().split("\n").slice(-5).join("\n"),
      () => "",
    );
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
  }
}

/** Stops the cluster in `dataDir` at once (no checkpoint: it is thrown away). */
export async function stopCluster(binDir: string, dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, "postmaster.pid"))) {
    await runPgTool(binDir, "pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "-s", "stop"]);
  }
}

/**
 * Stops and removes the pair directories of processes that died without closing them (a killed
 * test worker), so that their clusters do not run forever. Only directories recording a dead
 * owner are touched, and only through their own `postmaster.pid`.
 */
export async function reapOrphans(binDir: string, label: string): Promise<void> {
  const prefix = `${TEMP_PREFIX}${label}-`;
  const dir = await clusterBaseDir();
  const names = (await readdir(dir)).filter((name) => name.startsWith(prefix));
  for (const name of names) {
    const root = join(dir, name);
    const owner = Number(await readFile(join(root, "owner.pid"), "utf8").catch(() => "NaN"));
    if (!Number.isInteger(owner) || owner === process.pid || isAlive(owner)) {
      continue;
    }
    for (const entry of await readdir(root).catch(() => [])) {
      await stopCluster(binDir, join(root, entry)).catch(() => undefined);
    }
    await rm(root, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
