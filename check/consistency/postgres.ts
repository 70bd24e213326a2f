/** Postgres' final state of the checked keys, read directly with `pg` (not through the Worker). */
import pg from "pg";
import type { FinalState } from "./analyzer";

/** The final state of each of `ids` (absent ones included), with its number of reviews. */
export async function readFinalStates(
  databaseUrl: string,
  ids: readonly string[],
): Promise<Map<string, FinalState>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      id: string;
      version: number;
      created_at: Date;
      reviews: number;
    }>(
      `SELECT p.id, p.version, p.created_at,
         (SELECT count(*)::int FROM reviews r WHERE r.product_id = p.id) AS reviews
       FROM products p WHERE p.id = ANY($1::text[])`,
      [ids],
    );
    const finals = new Map<string, FinalState>(ids.map((id) => [id, { present: false }]));
    for (const row of rows) {
      finals.set(row.id, {
        present: true,
        version: row.version,
        createdAt: row.created_at.getTime(),
        reviewCount: row.reviews,
      });
    }
    return finals;
  } finally {
    await client.end();
  }
}
