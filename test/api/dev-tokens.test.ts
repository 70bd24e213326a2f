/**
 * `npm run dev` starts the local identity provider and prints a user token (`sub` `dev-user`)
 * and a product-writer token that the served Worker accepts (API.md, "Local development").
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../emulators/redis-server";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Resolves with the output so far once `marker` appeared; rejects if dev exits first. */
function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "${marker}" in:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dev exited (${code}) before "${marker}":\n${out}`));
    });
  });
}

describe("npm run dev user tokens", () => {
  let dir: string | undefined;
  let dev: ChildProcess | undefined;
  afterAll(async () => {
    if (dev?.pid !== undefined && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev?.once("exit", resolve));
      process.kill(-dev.pid, "SIGTERM");
      await exited;
    }
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("prints a user and a product-writer token, valid 12 hours, that the Worker accepts", async () => {
    dir = await mkdtemp(join(tmpdir(), "eca-dev-tokens-"));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), PGLITE_DIR: dir };
    for (const name of ["REDIS_URL", "DATABASE_URL", "API_TOKEN", "JWT_JWKS_URL", "JWT_ISSUER"]) {
      delete env[name];
    }
    delete env.JWT_AUDIENCE;
    dev = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const banner = await waitForOutput(dev, "Ctrl-C stops everything", 90_000);
    const user = /user \(sub dev-user\):\s+(\S+)/.exec(banner)?.[1] ?? "";
    const writer = /product writer \(products:write\):\s+(\S+)/.exec(banner)?.[1] ?? "";
    const claims = (token: string) =>
      JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
        sub: string;
        scope?: string;
        exp: number;
        iat: number;
      };
    expect(claims(user)).toMatchObject({ sub: "dev-user" });
    expect(claims(writer).scope).toBe("products:write");
    expect(claims(user).exp - claims(user).iat).toBe(12 * 60 * 60);

    const base = `http://127.0.0.1:${port}`;
    const send = (method: string, path: string, token: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const id = `dev-tokens-${Date.now().toString(36)}`;
    const product = { name: "Dev lamp", priceCents: 100 };
    expect((await send("PUT", `/products/${id}`, user, product)).status).toBe(403);
    expect((await send("PUT", `/products/${id}`, writer, product)).status).toBe(201);
    const review = await send("POST", `/products/${id}/reviews`, user, {
      rating: 5,
      author: "Dev",
      body: "Nice",
    });
    expect(review.status).toBe(201);
    expect(((await review.json()) as { authorId: string }).authorId).toBe("dev-user");
  }, 120_000);
});
