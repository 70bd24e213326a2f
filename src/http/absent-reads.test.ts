import { isolate, latch, MemoryRedis } from "lease-cache/testing";
import { describe, expect, it } from "vitest";
import { type AbsentReadBudget, BudgetRefusal, budgetedGet } from "./absent-reads";
import { AppError } from "./errors";

const ABSENT = { found: false } as const;

/** A budget that refuses the clients in `spent` and records what was counted. */
function budgetRefusing(...spent: string[]): AbsentReadBudget & { spentBy: string[] } {
  const spentBy: string[] = [];
  return {
    spentBy,
    async check(client, read) {
      if (spent.includes(client)) {
        throw new BudgetRefusal(read, 17);
      }
    },
    async spend(client) {
      spentBy.push(client);
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
