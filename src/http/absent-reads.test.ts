import { CircuitBreaker } from "lease-cache";
import { isolate, latch, MemoryRedis } from "lease-cache/testing";
import { describe, expect, it } from "vitest";
import type { Logger } from "../log";
import type { ReadLog } from "./absent-read-log";
import {
  type AbsentReadBudget,
  type Admission,
  absentReadBudget,
  BudgetRefusal,
  budgetedGet,
  FREE_CONCURRENT_LOADS,
} from "./absent-reads";
import { AppError } from "./errors";

const ABSENT = { found: false } as const;

/** A budget that refuses the clients in `spent` and records what was counted. */
function budgetRefusing(...spent: string[]): AbsentReadBudget & { spentBy: string[] } {
  const spentBy: string[] = [];
  return {
    spentBy,
    async admit(client, read) {
      if (spent.includes(client)) {
        throw new BudgetRefusal(read, 17);
      }
      return {
        async settle(found) {
          if (!found) {
            spentBy.push(client);
          }
        },
      };
    },
  };
}

describe("budgetedGet", () => {
  it("answers a client past its budget 429 with Retry-After when its read needs the loader", async () => {
    const { cache } = isolate(new MemoryRedis());
    const budget = budgetRefusing("attacker");
    const read = budgetedGet(
      { cache, budget },
      "attacker",
      { key: "k:absent" },
      async () => ABSENT,
    );
    const err = await read.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("rate_limited");
    expect((err as AppError).headers["Retry-After"]).toBe("17");
  });

  it("counts only reads that found nothing", async () => {
    const { cache, background } = isolate(new MemoryRedis());
    const budget = budgetRefusing();
    await budgetedGet(
      { cache, budget },
      "c",
      { key: "k:real" },
      async () => ({ found: true, value: { id: "real" } }) as const,
    );
    await budgetedGet({ cache, budget }, "c", { key: "k:gone" }, async () => ABSENT);
    await background.drain();
    // A cached miss is answered by the cache: no loader, nothing counted.
    await budgetedGet({ cache, budget }, "c", { key: "k:gone" }, async () => ABSENT);
    expect(budget.spentBy).toEqual(["c"]);
  });

  it("a request that shares another client's refused batch retries with its own loader", async () => {
    const { cache, background } = isolate(new MemoryRedis());
    const budget = budgetRefusing("attacker");
    const entry = { key: "k:shared" };
    const deps = { cache, budget };
    // A first reader's load is held, so the next two requests queue as one batch behind it: the
    // attacker leads that batch, the victim joins it as a follower. The held load then fails (the
    // database blipped), so nothing is cached and the attacker's batch must load.
    const held = latch();
    const first = budgetedGet(deps, "first", entry, async () => {
      await held.promise;
      throw new Error("database blip");
    }).catch((e: unknown) => e);
    const attacker = budgetedGet(deps, "attacker", entry, async () => ABSENT).catch(
      (e: unknown) => e,
    );
    let victimLoads = 0;
    const victim = budgetedGet(deps, "victim", entry, async () => {
      victimLoads++;
      return { found: true, value: { id: "fresh" } } as const;
    });
    held.open();
    expect(((await first) as Error).message).toBe("database blip");
    expect(((await attacker) as AppError).code).toBe("rate_limited");
    // The victim shared the attacker's batch, got its refusal, and read again with its own loader.
    expect((await victim).loaded).toEqual({ found: true, value: { id: "fresh" } });
    expect(victimLoads).toBe(1);
    await background.drain();
  });
});

/** An in-memory {@link ReadLog} with `limit` places per client (no window: the tests' clock stands still). */
function memoryLog(limit: number) {
  const members = new Map<string, Set<string>>();
  const calls: string[] = [];
  let next = 0;
  const of = (client: string) => {
    let set = members.get(client);
    if (set === undefined) {
      set = new Set();
      members.set(client, set);
    }
    return set;
  };
  const standing = (client: string) => ({
    remaining: Math.max(0, limit - of(client).size),
    reset: 30_000,
  });
  const log: ReadLog & { calls: string[]; failing: boolean } = {
    calls,
    failing: false,
    async reserve(client) {
      calls.push(`reserve ${client}`);
      if (log.failing) {
        throw new Error("ERR injected");
      }
      const member = String(next++);
      const granted = of(client).size < limit;
      if (granted) {
        of(client).add(member);
      }
      return { ...standing(client), granted, member };
    },
    async record(client) {
      calls.push(`record ${client}`);
      if (log.failing) {
        throw new Error("ERR injected");
      }
      of(client).add(String(next++));
      return standing(client);
    },
    async release(client, member) {
      calls.push(`release ${client}`);
      of(client).delete(member);
    },
  };
  return log;
}

const quiet: Logger = { log: () => {} };
let clients = 0;
const newClient = () => `client-${++clients}-${Math.random()}`;

function budgetOver(log: ReadLog, breaker = new CircuitBreaker()) {
  return absentReadBudget({ log, breaker, logger: quiet, now: () => 0 });
}

describe("absentReadBudget", () => {
  it("lets a client that has found nothing load without a Redis call, up to FREE_CONCURRENT_LOADS at a time", async () => {
    const log = memoryLog(60);
    const budget = budgetOver(log);
    const who = newClient();
    const free = await Promise.all(
      Array.from({ length: FREE_CONCURRENT_LOADS }, () => budget.admit(who, {})),
    );
    expect(log.calls).toEqual([]);
    await budget.admit(who, {});
    expect(log.calls).toEqual([`reserve ${who}`]);
    // Once the free loads are done, the next load is free again.
    await Promise.all(free.map((a) => a.settle(true)));
    await budget.admit(who, {});
    expect(log.calls).toEqual([`reserve ${who}`]);
  });

  it("counts an unreserved absent read, then reserves every load of the client and gives found ones back", async () => {
    const log = memoryLog(60);
    const budget = budgetOver(log);
    const who = newClient();
    await (await budget.admit(who, {})).settle(false);
    expect(log.calls).toEqual([`record ${who}`]);
    await (await budget.admit(who, {})).settle(true);
    await (await budget.admit(who, {})).settle(false);
    expect(log.calls).toEqual([
      `record ${who}`,
      `reserve ${who}`,
      `release ${who}`,
      `reserve ${who}`,
    ]);
  });

  it("admits at most the budget plus FREE_CONCURRENT_LOADS of a burst of concurrent probes", async () => {
    const log = memoryLog(20);
    const budget = budgetOver(log);
    const who = newClient();
    const admitted: Admission[] = [];
    let refused = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        try {
          admitted.push(await budget.admit(who, {}));
        } catch (err: unknown) {
          expect(err).toBeInstanceOf(BudgetRefusal);
          refused += 1;
        }
      }),
    );
    expect(admitted).toHaveLength(20 + FREE_CONCURRENT_LOADS);
    expect(refused).toBe(200 - 20 - FREE_CONCURRENT_LOADS);
  });

  it("refuses a spent client in the isolate without a Redis call until a place frees up", async () => {
    const log = memoryLog(1);
    let now = 0;
    const budget = absentReadBudget({
      log,
      breaker: new CircuitBreaker(),
      logger: quiet,
      now: () => now,
    });
    const who = newClient();
    await (await budget.admit(who, {})).settle(false);
    const refusal = await budget.admit(who, {}).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(BudgetRefusal);
    expect((refusal as BudgetRefusal).retryAfterSeconds).toBe(30);
    const calls = log.calls.length;
    now = 29_999;
    await expect(budget.admit(who, {})).rejects.toBeInstanceOf(BudgetRefusal);
    expect(log.calls).toHaveLength(calls);
  });

  it("is not enforced while Redis is unusable: no calls with the breaker open, every load admitted when the log fails", async () => {
    const open = new CircuitBreaker({ failureThreshold: 1 });
    open.failed();
    expect(open.state).toBe("open");
    const log = memoryLog(0);
    const who = newClient();
    const budget = budgetOver(log, open);
    await (await budget.admit(who, {})).settle(false);
    await (await budget.admit(who, {})).settle(false);
    expect(log.calls).toEqual([]);

    const failing = memoryLog(0);
    failing.failing = true;
    const other = newClient();
    const failOpen = budgetOver(failing);
    await (await failOpen.admit(other, {})).settle(false);
    await expect(failOpen.admit(other, {})).resolves.toBeDefined();
  });
});
