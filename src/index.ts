/**
 * The Worker entry: wiring only. `fetch` is the Hono app; `scheduled` drains the invalidation
 * outbox (Cron Trigger in wrangler.toml).
 *
 * @module
 */
import { createApp } from "./app";
import type { Env } from "./env";
import { drainOutboxJob } from "./invalidation/outbox-drain-job";

const app = createApp();

/** The Worker: `fetch` serves the API, `scheduled` drains the outbox. */
export default {
  fetch: app.fetch,
  scheduled: (_controller, env, ctx) => drainOutboxJob(env, ctx),
} satisfies ExportedHandler<Env>;
