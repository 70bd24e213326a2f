/**
 * wrangler.toml as wrangler itself reads it, so tests, the bench and the checker run Workers with the same
 * compatibility settings and `[vars]` that `wrangler dev` uses.
 */
import { fileURLToPath } from "node:url";

const WRANGLER_TOML = fileURLToPath(new URL("../wrangler.toml", import.meta.url));

/** What a Miniflare instance needs from wrangler.toml. */
export type WranglerConfig = {
  compatibilityDate: string;
  compatibilityFlags: string[];
  /** `[vars]`, each as the string a Worker binding receives. */
  vars: Record<string, string>;
};

/** Reads wrangler.toml through wrangler's own reader. */
export async function readWranglerConfig(): Promise<WranglerConfig> {
  const { unstable_readConfig } = await import("wrangler");
  const config = unstable_readConfig({ config: WRANGLER_TOML });
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.vars)) {
    vars[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return {
    compatibilityDate: config.compatibility_date ?? "2026-07-01",
    compatibilityFlags: config.compatibility_flags,
    vars,
  };
}
