/**
 * The local servers' fault knobs during a run: a fixed profile for the whole run (latency and jitter
 * that widen race windows) plus an optional nemesis that periodically stalls Postgres (the Neon
 * server holds every query, then releases them all at once), switched off before convergence is
 * measured.
 */
import type { FaultSettings } from "../../emulators/shared/faults";
import { wakeableSleep } from "./wakeable-sleep";

/** The control endpoints (`<server>/__control/faults`) of the Upstash REST and Neon servers. */
export type KnobUrls = { redisFaultsUrl: string; dbFaultsUrl: string };

/** What a run sets. */
export type KnobProfile = {
  /** Redis-side settings for the whole run (e.g. `{ jitterMs: 30 }`). @default none */
  redis?: Partial<FaultSettings>;
  /** Postgres-side settings for the whole run. @default none */
  db?: Partial<FaultSettings>;
  /**
   * Postgres stalls: after a short warm-up, cycles `holdMs` during which the Neon server holds
   * every query (or those containing one of `match`), then releases them all at once, then `freeMs`
   * normal. @default none
   */
  dbStalls?: { holdMs: number; freeMs: number; match?: string[] };
};

/** A running profile. */
export type ActiveKnobs = {
  /** Stops the nemesis and resets both servers (held statements proceed). */
  stop(): Promise<void>;
  /** How many stalls the nemesis started. */
  readonly holds: number;
};

/** Applies `profile`; call `stop()` when the load ends. */
export async function applyKnobs(urls: KnobUrls, profile: KnobProfile): Promise<ActiveKnobs> {
  await Promise.all([control(urls.redisFaultsUrl, "DELETE"), control(urls.dbFaultsUrl, "DELETE")]);
  await Promise.all([
    profile.redis === undefined ? undefined : control(urls.redisFaultsUrl, "POST", profile.redis),
    profile.db === undefined ? undefined : control(urls.dbFaultsUrl, "POST", profile.db),
  ]);
  let stopped = false;
  let holds = 0;
  const { sleep: pause, wake } = wakeableSleep();
  const stalls = profile.dbStalls;
  const nemesis = (async () => {
    // A short warm-up, so that even a run of a few seconds sees its first stall early.
    let free = Math.min(250, stalls?.freeMs ?? 0);
    while (stalls !== undefined && !stopped) {
      await pause(free);
      free = stalls.freeMs;
      if (stopped) {
        break;
      }
      await control(urls.dbFaultsUrl, "POST", {
        mode: "hang",
        match: stalls.match ?? [],
        probability: 1,
      });
      holds += 1;
      await pause(stalls.holdMs);
      // Switching the mode off releases every held query at once.
      await control(urls.dbFaultsUrl, "POST", { mode: "none", match: [] });
    }
  })();
  return {
    get holds() {
      return holds;
    },
    async stop() {
      stopped = true;
      wake();
      await nemesis;
      await Promise.all([
        control(urls.redisFaultsUrl, "DELETE"),
        control(urls.dbFaultsUrl, "DELETE"),
      ]);
    },
  };
}

/** Calls a fault control endpoint (`GET` reads, `POST` merges settings, `DELETE` resets). */
export async function control(url: string, method: string, body?: unknown): Promise<void> {
  const res = await fetch(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  if (!res.ok) {
    throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
  }
  await res.arrayBuffer();
}
