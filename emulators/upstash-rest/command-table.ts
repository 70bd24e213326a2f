/**
 * Which commands a read region may answer: Redis's own command table, asked lazily with
 * `COMMAND INFO <name>` and cached per server. A command is a read when Redis flags it `readonly`
 * (for container commands such as `OBJECT` or `XINFO`, the subcommand's flags count). That covers
 * `EVAL_RO`, `EVALSHA_RO` and `FCALL_RO`; `EVAL`/`EVALSHA`, every write and every command flagged
 * neither way (`PING`, `SCRIPT LOAD`, `INFO`…) are left to the primary.
 * @module
 */
import type { RespClient, RespReply } from "./resp-client";

type Entry = { readonly: boolean; subcommands: Map<string, boolean> };

/** A lazily filled copy of the `readonly` flags of Redis's command table. */
export class CommandTable {
  readonly #client: RespClient;
  readonly #entries = new Map<string, Promise<Entry | undefined>>();

  /** @param client where `COMMAND INFO` is asked (the primary: both sides run the same Redis) */
  constructor(client: RespClient) {
    this.#client = client;
  }

  /**
   * Whether `args` (name first) is a read-only command. Unknown commands are not.
   * @throws RedisConnectionError when Redis cannot be asked (nothing is cached then)
   */
  async isReadOnly(args: readonly string[]): Promise<boolean> {
    const name = (args[0] ?? "").toLowerCase();
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      entry = this.#fetch(name);
      this.#entries.set(name, entry);
      entry.catch(() => this.#entries.delete(name));
    }
    const info = await entry;
    if (info === undefined) {
      return false;
    }
    if (info.subcommands.size === 0) {
      return info.readonly;
    }
    const sub = args[1]?.toLowerCase();
    return sub === undefined ? false : (info.subcommands.get(`${name}|${sub}`) ?? false);
  }

  async #fetch(name: string): Promise<Entry | undefined> {
    const reply = await this.#client.send(["COMMAND", "INFO", name]);
    const doc = reply.kind === "array" ? reply.items[0] : undefined;
    return doc?.kind === "array" ? parseDoc(doc.items) : undefined;
  }
}

/** `[name, arity, flags, first, last, step, acl, tips, key specs, subcommands]` (Redis 7). */
function parseDoc(items: RespReply[]): Entry {
  const subcommands = new Map<string, boolean>();
  const subs = items[9];
  if (subs?.kind === "array") {
    for (const sub of subs.items) {
      if (sub.kind === "array") {
        subcommands.set(text(sub.items[0]).toLowerCase(), hasReadonlyFlag(sub.items[2]));
      }
    }
  }
  return { readonly: hasReadonlyFlag(items[2]), subcommands };
}

function hasReadonlyFlag(flags: RespReply | undefined): boolean {
  return flags?.kind === "array" && flags.items.some((flag) => text(flag) === "readonly");
}

function text(reply: RespReply | undefined): string {
  if (reply?.kind === "status") {
    return reply.value;
  }
  return reply?.kind === "bulk" ? reply.value.toString("utf8") : "";
}
