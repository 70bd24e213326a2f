/**
 * `npm run dev`: the local stack (Redis, Postgres, Upstash REST and Neon servers, migrations) plus
 * `wrangler dev` serving the Worker on http://127.0.0.1:PORT. See docs/local-development.md.
 *
 * Environment: `PORT` (default 8787), `API_TOKEN` (default {@link DEV_API_TOKEN}), `REDIS_URL`,
 * `DATABASE_URL`, `PGLITE_DIR` (default `.local/pglite`), `CACHE_KEY_PREFIX` (optional),
 * `JWT_JWKS_URL` + `JWT_ISSUER` + `JWT_AUDIENCE` (an identity provider of your own; unset, a local
 * one is started and a user token and a product-writer token, valid 12 hours, are printed), and
 * for replicas (docs/replicas.md) `REDIS_REPLICA_URL`, `DATABASE_REPLICA_URL`, `READ_CONSISTENCY`.
 * Ctrl-C or SIGTERM stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type IdentityProvider, startIdentityProvider } from "../emulators/identity/server";
import { type LocalStack, startLocalStack } from "../emulators/stack";

/** The write token when `API_TOKEN` is not set. Local use only; printed at start. */
const DEV_API_TOKEN = "dev-token";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// Per process, so a second `npm run dev` (another PORT) cannot overwrite or delete this one's.
const ENV_FILE = `${ROOT}.local/dev-${process.pid}.env`;
// Run with this very node: the .bin shim's `#!/usr/bin/env node` could pick an older system node.
const WRANGLER = join(
  dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin/wrangler.js",
);

const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, got ${process.env.PORT}`);
  process.exit(2);
}
const apiToken = nonEmpty(process.env.API_TOKEN) ?? DEV_API_TOKEN;
const say = (line: string) => console.log(`[dev] ${line}`);

/** The identity provider's settings, when given in the environment (all three or none). */
const JWT_NAMES = ["JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE"] as const;
const jwtFromEnv = JWT_NAMES.filter((name) => nonEmpty(process.env[name]) !== undefined);
if (jwtFromEnv.length > 0 && jwtFromEnv.length < JWT_NAMES.length) {
  console.error(`set all of ${JWT_NAMES.join(", ")} or none (got only ${jwtFromEnv.join(", ")})`);
  process.exit(2);
}

let wrangler: ChildProcess | undefined;
let identity: IdentityProvider | undefined;
let cronTimer: NodeJS.Timeout | undefined;
let stopping: Promise<never> | undefined;
// Held as a promise so that a signal during start-up still waits for, and stops, what started.
let starting: Promise<LocalStack> | undefined;
const base = `http://127.0.0.1:${port}`;

process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));
try {
  await main();
} catch (err: unknown) {
  console.error(`[dev] ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}

async function main(): Promise<void> {
  starting = startLocalStack({
    redisUrl: nonEmpty(process.env.REDIS_URL),
    databaseUrl: nonEmpty(process.env.DATABASE_URL),
    pgliteDir: nonEmpty(process.env.PGLITE_DIR),
    apiToken,
    cacheKeyPrefix: nonEmpty(process.env.CACHE_KEY_PREFIX),
    redisReplicaUrl: nonEmpty(process.env.REDIS_REPLICA_URL),
    databaseReplicaUrl: nonEmpty(process.env.DATABASE_REPLICA_URL),
    readConsistency: nonEmpty(process.env.READ_CONSISTENCY),
    log: say,
  });
  const stack = await starting;
  if (stopping !== undefined) {
    return;
  }
  const userTokens = await identityBindings(stack.bindings);
  // Secrets go to wrangler through a private, gitignored env file rather than the command line,
  // where any local user could read them with `ps`.
  await mkdir(`${ROOT}.local`, { recursive: true });
  await writeFile(ENV_FILE, toDotEnv(stack.bindings), { mode: 0o600 });
  await chmod(ENV_FILE, 0o600);
  // --env-file turns off wrangler's own .dev.vars loading, so a developer's .dev.vars (extra knobs
  // such as CORS_ORIGINS) is passed explicitly, first, so that the stack's bindings win.
  const envFiles = existsSync(`${ROOT}.dev.vars`) ? [`${ROOT}.dev.vars`, ENV_FILE] : [ENV_FILE];
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port)];
  args.push("--show-interactive-dev-session=false", ...envFiles.flatMap((f) => ["--env-file", f]));
  wrangler = spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      // Offline machine: skip the Request.cf download and telemetry instead of timing out on them.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
    },
  });
  wrangler.once("exit", (code, signal) => {
    if (stopping === undefined) {
      say(`wrangler exited (${code ?? signal}); stopping the stack`);
      void shutdown(code === 0 ? 0 : 1);
    }
  });

  if (!(await waitForHttp(`${base}/healthz`, 60_000))) {
    throw new Error(`wrangler did not answer on ${base} within 60 s`);
  }
  const health = await fetch(`${base}/healthz`).then(
    async (r) => `${r.status} ${await r.text()}`,
    (e: unknown) => String(e),
  );
  const note = apiToken === DEV_API_TOKEN ? "   (development token; set API_TOKEN to change)" : "";
  console.log(
    [
      "",
      `  Worker:     ${base}`,
      `  API token:  ${apiToken}${note}`,
      `  /healthz:   ${health}`,
      ...userTokens,
      `  Faults:     ${stack.upstash.url}/__control/faults (Redis side)`,
      `              ${stack.neon.url}/__control/faults (Postgres side)`,
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
  scheduleCrons(await readCrons(`${ROOT}wrangler.toml`));
}

/** Stops wrangler, then the stack (newest first), then exits. Idempotent. */
function shutdown(code: number): Promise<never> {
  stopping ??= (async () => {
    clearTimeout(cronTimer);
    const child = wrangler;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      // wrangler stops its workerd processes itself on SIGTERM; SIGKILL only if it hangs.
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(force);
    }
    await identity?.close();
    await starting?.then(
      (stack) => stack.close(),
      () => {},
    );
    await rm(ENV_FILE, { force: true });
    say("stopped");
    process.exit(code);
  })();
  return stopping;
}

/**
 * Adds the `JWT_*` bindings: from the environment when set there (nothing printed), otherwise from
 * a local identity provider started here, whose two tokens are returned as lines to print.
 */
async function identityBindings(bindings: Record<string, string>): Promise<string[]> {
  if (jwtFromEnv.length === JWT_NAMES.length) {
    for (const name of JWT_NAMES) {
      bindings[name] = process.env[name] ?? "";
    }
    say(`identity: ${process.env.JWT_ISSUER} (JWT_* from the environment)`);
    return [];
  }
  identity = await startIdentityProvider({ host: "127.0.0.1" });
  bindings.JWT_JWKS_URL = identity.jwksUrl;
  bindings.JWT_ISSUER = identity.issuer;
  bindings.JWT_AUDIENCE = identity.audience;
  say(`identity: local provider at ${identity.issuer} (JWKS ${identity.jwksUrl})`);
  const user = await identity.token({ sub: "dev-user" });
  const writer = await identity.token({ sub: "dev-writer", scope: "products:write" });
  return [
    "  User tokens (12 h; local identity provider):",
    `    user (sub dev-user):              ${user}`,
    `    product writer (products:write):  ${writer}`,
  ];
}

/**
 * `wrangler dev` does not fire Cron Triggers by itself (it says so at start), so every minute the
 * declared crons that match are fired through wrangler's `/cdn-cgi/local/scheduled` endpoint.
 */
function scheduleCrons(crons: string[]): void {
  if (crons.length === 0) {
    return;
  }
  say(`firing cron trigger(s) ${crons.map((c) => `"${c}"`).join(", ")} every matching minute`);
  const tick = () => {
    const now = new Date();
    for (const cron of crons.filter((c) => cronMatches(c, now))) {
      const url = `${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`;
      fetch(url).then(
        (r) => r.body?.cancel(),
        (e: unknown) => say(`cron "${cron}" failed: ${String(e)}`),
      );
    }
    // Re-aimed at the next minute boundary each time so the ticks do not drift.
    cronTimer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
  };
  cronTimer = setTimeout(tick, 60_000 - (Date.now() % 60_000) + 50);
}

/** The `crons = [...]` of wrangler.toml's `[triggers]` table. */
async function readCrons(path: string): Promise<string[]> {
  const toml = await readFile(path, "utf8");
  const list = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "").filter((c) => c !== "");
}

/** Whether a 5-field cron expression (`*`, `*\/n`, `a-b`, lists; UTC) matches the minute `d`. */
function cronMatches(cron: string, d: Date): boolean {
  const now = [d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1];
  now.push(d.getUTCDay());
  const fields = cron.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f, i) => fieldMatches(f, now[i] ?? -1));
}

function fieldMatches(field: string, value: number): boolean {
  return field.split(",").some((part) => {
    const [range = "*", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (range === "*") {
      return value % step === 0;
    }
    const [lo, hi = lo] = range.split("-").map(Number);
    return lo !== undefined && hi !== undefined && value >= lo && value <= hi
      ? (value - lo) % step === 0
      : false;
  });
}

/** Polls `url` until it answers any HTTP status (the Worker is being served) or time runs out. */
async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stopping === undefined) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => {
        await r.body?.cancel();
        return true;
      },
      () => false,
    );
    if (ok) {
      return true;
    }
    // wrangler has no readiness signal we can read without parsing its console output.
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** `KEY="value"` lines for wrangler's dotenv loader (which expands `$`, hence the escape). */
function toDotEnv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([key, value]) => {
      if (/["\\\r\n]/.test(value)) {
        throw new Error(
          `${key} contains a quote, backslash or newline; not supported by npm run dev`,
        );
      }
      return `${key}="${value.replaceAll("$", "\\$")}"\n`;
    })
    .join("");
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
