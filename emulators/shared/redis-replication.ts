/**
 * Reading Redis replication progress from `INFO replication`, shared by the replica-aware Upstash
 * server and the primary+replica test pair.
 *
 * Offsets count bytes of the primary's replication stream. On the primary, `master_repl_offset`
 * is how far the stream has been produced (a write is in it once its reply was sent); on a
 * replica, `slave_repl_offset` is how far the replica has applied it (`slave_read_repl_offset` is
 * only what it has read from the socket).
 * @module
 */
import type { RespClient, RespReply } from "../upstash-rest/resp-client";

/** The `key:value` lines of an `INFO` reply. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) {
      fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
    }
  }
  return fields;
}

/** What a server says about its place in replication. */
export type ReplicationState = {
  role: "master" | "slave";
  /**
   * Primary: bytes of replication stream produced. Replica: bytes applied (`slave_repl_offset`,
   * or `master_repl_offset` when a version does not report it). -1 while a replica has never
   * synced.
   */
  offset: number;
  /** Replica only: `master_link_status:up`. Always `true` on a primary. */
  linkUp: boolean;
  /** The replication history the offset belongs to (`master_replid`). */
  replid: string;
};

/** Parses the fields of `INFO replication`. @throws Error when the reply has no role or offset */
export function replicationState(info: Map<string, string>): ReplicationState {
  const role = info.get("role");
  if (role !== "master" && role !== "slave") {
    throw new Error(`INFO replication without a role (${role ?? "missing"})`);
  }
  const text =
    role === "slave"
      ? (info.get("slave_repl_offset") ?? info.get("master_repl_offset"))
      : info.get("master_repl_offset");
  const offset = Number(text);
  if (text === undefined || !Number.isSafeInteger(offset)) {
    throw new Error(`INFO replication without a usable offset (${text ?? "missing"})`);
  }
  return {
    role,
    offset,
    linkUp: role === "master" || info.get("master_link_status") === "up",
    replid: info.get("master_replid") ?? "",
  };
}

/**
 * Runs `INFO replication` on `client` and parses it.
 * @throws RedisConnectionError when Redis is unreachable; Error for an error reply
 */
export async function readReplicationState(client: RespClient): Promise<ReplicationState> {
  return replicationState(parseInfo(bulkText(await client.send(["INFO", "replication"]))));
}

function bulkText(reply: RespReply): string {
  if (reply.kind === "bulk") {
    return reply.value.toString("utf8");
  }
  throw new Error(
    `INFO replication failed: ${reply.kind === "error" ? reply.message : `a ${reply.kind} reply`}`,
  );
}
