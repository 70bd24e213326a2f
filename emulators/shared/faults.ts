/**
 * Fault and latency knobs shared by the local protocol servers (Upstash REST and Neon).
 *
 * A server owns one {@link FaultController}; tests flip it programmatically (the handle returned by
 * the server's `start…` function) or over HTTP at `/__control/faults` (GET reads, POST merges, DELETE
 * resets). The control path is never subject to faults, so a test can always switch them off again.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * What the server does with a request that a fault applies to.
 * - `none`: serve normally.
 * - `refuse`: reset the connection without a response (the client sees a network error, as for a
 *   refused connection).
 * - `hang`: never answer (until the fault is switched off or the client gives up).
 * - `http500`: answer HTTP 500 with a JSON body, without running anything.
 * - `error`: answer the protocol's own error (Redis: `{"error": …}` 400; Neon: a 400 database error),
 *   without running anything.
 * - `lost-response`: run the request, then reset the connection (the effect happened, the client
 *   never hears of it).
 */
export type FaultMode = "none" | "refuse" | "hang" | "http500" | "error" | "lost-response";

/** The knobs of one server. */
export type FaultSettings = {
  /** Added delay before each request is served, in ms. @default 0 */
  latencyMs: number;
  /** Uniform random extra delay in [0, jitterMs), in ms. @default 0 */
  jitterMs: number;
  /**
   * Uniform random delay in [0, replyJitterMs) after a request ran and before its answer is sent
   * (the return leg of a round trip: the client learns late what already happened), in ms.
   * @default 0
   */
  replyJitterMs: number;
  /** See {@link FaultMode}. @default "none" */
  mode: FaultMode;
  /** Probability in [0, 1] that `mode` applies to a matching request. @default 1 */
  probability: number;
  /**
   * Only requests that contain one of these words apply `mode` (Redis: command names such as
   * `DEL` or `EVALSHA`, case-insensitive; Neon: a substring of the SQL text). Empty = all requests.
   * Latency applies to every request regardless. @default []
   */
  match: string[];
  /** Error text used by the `error` mode. @default "ERR injected fault" */
  errorMessage: string;
};

/** The settings in force when nothing was changed. */
export const DEFAULT_FAULTS: Readonly<FaultSettings> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  replyJitterMs: 0,
  mode: "none",
  probability: 1,
  match: [],
  errorMessage: "ERR injected fault",
});

const MODES: ReadonlySet<string> = new Set([
  "none",
  "refuse",
  "hang",
  "http500",
  "error",
  "lost-response",
]);

/** The URL path of the control endpoint on every local server. */
export const CONTROL_PATH = "/__control/faults";

/** Holds one server's fault settings and applies them. */
export class FaultController {
  #settings: FaultSettings = { ...DEFAULT_FAULTS, match: [] };
  #hanging = new Set<() => void>();
  /** Counts requests that a fault was applied to, by mode (for tests that assert an effect). */
  readonly applied: Record<FaultMode, number> = {
    none: 0,
    refuse: 0,
    hang: 0,
    http500: 0,
    error: 0,
    "lost-response": 0,
  };

  /** A copy of the settings in force. */
  get settings(): FaultSettings {
    return { ...this.#settings, match: [...this.#settings.match] };
  }

  /** Merges `patch` into the settings; throws `TypeError` on an invalid value. */
  set(patch: Partial<FaultSettings>): FaultSettings {
    const next = { ...this.#settings, ...patch };
    if (!MODES.has(next.mode)) {
      throw new TypeError(`unknown fault mode ${String(next.mode)}`);
    }
    for (const n of [next.latencyMs, next.jitterMs, next.replyJitterMs, next.probability]) {
      if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
        throw new TypeError(
          "latencyMs, jitterMs, replyJitterMs and probability must be non-negative numbers",
        );
      }
    }
    if (!Array.isArray(next.match) || next.match.some((m) => typeof m !== "string")) {
      throw new TypeError("match must be an array of strings");
    }
    this.#settings = { ...next, match: [...next.match] };
    if (next.mode !== "hang") {
      this.releaseHanging();
    }
    return this.settings;
  }

  /** Back to {@link DEFAULT_FAULTS}; hanging requests are released (they then proceed normally). */
  reset(): FaultSettings {
    return this.set({ ...DEFAULT_FAULTS, match: [] });
  }

  /** Waits for the configured latency (fixed + jitter). */
  async delay(): Promise<void> {
    const { latencyMs, jitterMs } = this.#settings;
    const ms = latencyMs + (jitterMs > 0 ? Math.random() * jitterMs : 0);
    if (ms > 0) {
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  /** Waits for the configured reply delay (`replyJitterMs`), once a request ran. */
  async delayReply(): Promise<void> {
    const { replyJitterMs } = this.#settings;
    if (replyJitterMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * replyJitterMs));
    }
  }

  /**
   * The mode that applies to a request whose protocol text is `words` (command names or SQL), after
   * `match` and `probability` are taken into account.
   */
  modeFor(words: readonly string[]): FaultMode {
    const { mode, match, probability } = this.#settings;
    if (mode === "none") {
      return "none";
    }
    if (match.length > 0) {
      const hay = words.map((w) => w.toLowerCase());
      const hit = match.some((m) => hay.some((w) => w.includes(m.toLowerCase())));
      if (!hit) {
        return "none";
      }
    }
    if (probability < 1 && Math.random() >= probability) {
      return "none";
    }
    this.applied[mode] += 1;
    return mode;
  }

  /**
   * Resolves when the `hang` mode is switched off; used by servers to hold a request. With `signal`
   * (e.g. aborted when the client disconnects) it also resolves on abort and stops counting as held.
   */
  hangUntilReleased(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const release = () => {
        this.#hanging.delete(release);
        signal?.removeEventListener("abort", release);
        resolve();
      };
      this.#hanging.add(release);
      signal?.addEventListener("abort", release, { once: true });
    });
  }

  /** How many requests `hang` is holding right now (lets tests wait for a request to arrive). */
  get held(): number {
    return this.#hanging.size;
  }

  /** Lets every held request continue. */
  releaseHanging(): void {
    for (const release of [...this.#hanging]) {
      release();
    }
    this.#hanging.clear();
  }
}

/**
 * Serves `/__control/faults` when `req` targets it. Returns `true` when the request was handled.
 * The body of a POST is a partial {@link FaultSettings} object.
 */
export async function handleFaultControl(
  faults: FaultController,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== CONTROL_PATH) {
    return false;
  }
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  try {
    if (req.method === "GET") {
      reply(200, { settings: faults.settings, applied: faults.applied });
    } else if (req.method === "DELETE") {
      reply(200, { settings: faults.reset() });
    } else if (req.method === "POST") {
      const chunks: Buffer[] = [];
      for await (const chunk of req) {
        chunks.push(chunk as Buffer);
      }
      const patch = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Partial<FaultSettings>;
      reply(200, { settings: faults.set(patch) });
    } else {
      reply(405, { error: "use GET, POST or DELETE" });
    }
  } catch (err: unknown) {
    reply(400, { error: err instanceof Error ? err.message : String(err) });
  }
  return true;
}
