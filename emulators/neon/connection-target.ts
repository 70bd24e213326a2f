/**
 * Turns a `Neon-Connection-String` (or a relay `?address=`) into the Postgres server the emulator may
 * really connect to, enforcing the host allow-list or the fixed upstream.
 */

/** The loopback names accepted when a server is given no `allowHosts`. */
export const DEFAULT_ALLOW_HOSTS: readonly string[] = Object.freeze([
  "127.0.0.1",
  "localhost",
  "::1",
]);

/** Where connections may go: an allow-list of host names, or one fixed upstream for everything. */
export type TargetPolicy = {
  /** Host names (case-insensitive) a client may name. @default DEFAULT_ALLOW_HOSTS */
  allowHosts?: readonly string[];
  /** When set, every connection goes here whatever host/port the client named. */
  upstream?: { host: string; port: number };
};

/** A resolved Postgres endpoint plus the login the client asked for. */
export type PgTarget = {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Kept so `pg_stat_activity` shows which driver opened the session. */
  applicationName?: string;
};

/** Thrown for connection info the emulator refuses (answered as a 400 with code ""). */
export class TargetError extends Error {
  override name = "TargetError";
}

/** Strips IPv6 brackets and lowercases, so `[::1]` and `::1` compare equal. */
function normalizeHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/**
 * Applies `policy` to a host/port the client named: the fixed upstream wins; otherwise the host must
 * be allow-listed. Throws {@link TargetError} when it is not.
 */
export function resolveEndpoint(
  host: string,
  port: number,
  policy: TargetPolicy,
): { host: string; port: number } {
  if (policy.upstream) {
    return { ...policy.upstream };
  }
  const allowed = (policy.allowHosts ?? DEFAULT_ALLOW_HOSTS).map(normalizeHost);
  const wanted = normalizeHost(host);
  if (!allowed.includes(wanted)) {
    throw new TargetError(`host "${host}" is not allowed by this emulator (allowHosts)`);
  }
  return { host: wanted, port };
}

/**
 * Parses a `postgres(ql)://user:password@host:port/db?…` string. `sslmode` and `channel_binding` are
 * ignored because the local servers speak plain TCP; the port defaults to 5432.
 */
export function parseConnectionString(connectionString: string, policy: TargetPolicy): PgTarget {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new TargetError("invalid Neon-Connection-String");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new TargetError("Neon-Connection-String must use the postgresql: scheme");
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(url.username);
  if (url.hostname === "" || database === "" || user === "") {
    throw new TargetError("Neon-Connection-String needs a user, a host and a database name");
  }
  const port = url.port === "" ? 5432 : Number(url.port);
  const endpoint = resolveEndpoint(url.hostname, port, policy);
  const applicationName = url.searchParams.get("application_name") ?? undefined;
  return {
    ...endpoint,
    database,
    user,
    password: decodeURIComponent(url.password),
    ...(applicationName === undefined ? {} : { applicationName }),
  };
}

/**
 * Parses a relay `address` parameter (`host:port`, `[v6]:port`); the port defaults to 5432.
 * Throws {@link TargetError} for a missing, malformed or disallowed address.
 */
export function parseRelayAddress(
  address: string | null,
  policy: TargetPolicy,
): { host: string; port: number } {
  if (policy.upstream) {
    return { ...policy.upstream };
  }
  if (address === null || address === "") {
    throw new TargetError("missing ?address=host:port");
  }
  // Split on the last colon so the driver's unbracketed IPv6 form ("::1:5432") works too.
  const colon = address.lastIndexOf(":");
  const tail = colon === -1 ? "" : address.slice(colon + 1);
  const hasPort = /^\d+$/.test(tail);
  const rawHost = hasPort ? address.slice(0, colon) : address;
  const port = hasPort ? Number(tail) : 5432;
  if (rawHost === "" || port > 65535) {
    throw new TargetError(`malformed address "${address}"`);
  }
  return resolveEndpoint(rawHost, port, policy);
}

/** A stable key per distinct login, so each gets its own pool. */
export function targetKey(target: PgTarget): string {
  return JSON.stringify([target.host, target.port, target.database, target.user, target.password]);
}
