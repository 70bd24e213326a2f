/**
 * One Redis command through an Upstash REST server, the way a Worker sends it (`POST /` with the
 * bearer token): for tests of the stack itself, which check that path. To look at Redis behind the
 * servers' back (past their fault knobs) use `redis()` of `../api/helpers.ts` instead.
 */

/** Where an Upstash REST server listens and the token it wants. */
export type UpstashEndpoint = { url: string; token: string };

/**
 * Sends `command` and returns its `result`.
 * @throws when the server answers an error (HTTP status or `{ error }` body)
 */
export async function upstashCommand(
  server: UpstashEndpoint,
  command: (string | number)[],
): Promise<unknown> {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}` },
    body: JSON.stringify(command),
  });
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok || body.error !== undefined) {
    throw new Error(`${command[0]} answered ${res.status}: ${body.error ?? "no error text"}`);
  }
  return body.result;
}
