/**
 * The bench Worker: the bench protocol (`handler.ts`) over the paths that run inside workerd — no
 * cache, the naive recipe, the project's core (the API's own read and write code), and
 * `@epic-web/cachified`.
 */
import { createBenchHandler } from "./handler";
import { cachifiedPath } from "./paths/cachified";
import { corePath } from "./paths/core";
import { naivePath } from "./paths/naive";
import { nocachePath } from "./paths/nocache";

const handle = createBenchHandler({
  nocache: nocachePath,
  naive: naivePath,
  core: corePath,
  cachified: cachifiedPath,
});

export default {
  fetch: (request, env, ctx) => handle(request, env, ctx),
} satisfies ExportedHandler<Record<string, string>>;
