/** Postgres' final state of the checked keys, read directly with `pg` (not through the Worker). */
import pg from "pg";
import type { FinalState } from "./analyzer";

/** The final state of each of `ids` (absent ones included). */
export async function readFinalStates(
  databaseUrl: string,
  ids: readonly string[],
): Promise<Map<string, FinalState>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; version: number; created_at: Date }>(
      "SELECT id, version, created_at FROM products WHERE id = ANY($1::text[])",
      [ids],
    );
    const finals = new Map<string, FinalState>(ids.map((id) => [id, { present: false }]));
    for (const row of rows) {
      finals.set(row.id, {
        present: true,
        version: row.version,
        createdAt: row.created_at.getTime(),
      });
    }
    return finals;
  } finally {
    await client.end();
  }
}
