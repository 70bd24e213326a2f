/**
 * Where the workload sends its requests: a Worker isolate in Miniflare, or a base URL (`wrangler
 * dev`, a deployment). Only the HTTP API is used; nothing inside the Worker is touched.
 */

/** The parts of a fetch `Response` the checker reads (Miniflare's and Node's both fit). */
export type TargetResponse = {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
};

/** The parts of a fetch init the checker sends. */
export type TargetRequest = {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
};

/** One Worker endpoint. */
export type Target = {
  /** Shown in the history (`worker-0`, `http://127.0.0.1:8787`). */
  name: string;
  /** Sends a request; `path` starts with `/`. */
  fetch(path: string, init?: TargetRequest): Promise<TargetResponse>;
};

/** A target for a running Worker at `baseUrl` (e.g. `wrangler dev` on http://127.0.0.1:8787). */
export function urlTarget(baseUrl: string): Target {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    name: base,
    fetch: (path, init = {}) => fetch(`${base}${path}`, init),
  };
}
