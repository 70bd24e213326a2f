/**
 * `npm run db:seed`: a few demo products with reviews in the database named by `DATABASE_URL`
 * (local Postgres, the embedded one `npm run dev` prints, or Neon's direct connection string).
 *
 * Idempotent: products are upserted by id (their version is bumped when the data changed), reviews
 * are added only to products that have none. Because this writes behind the API's back, it also
 * records the products' cache entries in the outbox, so the Worker's Cron drain invalidates them
 * (with `CACHE_KEY_PREFIX`, default `v1`, naming the deployment's keys).
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { outbox, products, reviews } from "../src/db/schema";
import { resourceKeys } from "../src/resource-keys";

type Demo = {
  id: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  stock: number;
  reviews: { rating: number; author: string; body: string }[];
};

const DEMO: Demo[] = [
  {
    id: "desk-lamp-01",
    name: "Desk lamp",
    description: "Warm light, 3 settings",
    priceCents: 4599,
    currency: "EUR",
    stock: 12,
    reviews: [
      { rating: 5, author: "Ana", body: "Great lamp" },
      { rating: 4, author: "Ben", body: "Bright enough for reading" },
    ],
  },
  {
    id: "mug-ceramic-350",
    name: "Ceramic mug, 350 ml",
    description: "Dishwasher safe",
    priceCents: 1299,
    currency: "EUR",
    stock: 80,
    reviews: [{ rating: 5, author: "Chloé", body: "Keeps coffee warm" }],
  },
  {
    id: "notebook-a5-dotted",
    name: "A5 notebook, dotted",
    description: "120 pages, 100 g/m² paper",
    priceCents: 899,
    currency: "USD",
    stock: 200,
    reviews: [
      { rating: 3, author: "Dev", body: "Paper is nice, cover scuffs" },
      { rating: 4, author: "Eli", body: "Good value" },
      { rating: 5, author: "Fay", body: "My favourite" },
    ],
  },
  {
    id: "usb-c-cable-2m",
    name: "USB-C cable, 2 m",
    description: "",
    priceCents: 1499,
    currency: "USD",
    stock: 0,
    reviews: [],
  },
];

const url = process.env.DATABASE_URL;
if (url === undefined || url === "") {
  console.error(
    "DATABASE_URL is not set (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/db)",
  );
  process.exit(2);
}

const keys = resourceKeys(process.env.CACHE_KEY_PREFIX || "v1");
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  const db = drizzle(client);
  let added = 0;
  await db.transaction(async (tx) => {
    for (const demo of DEMO) {
      const { reviews: demoReviews, ...fields } = demo;
      const { id: _, ...changes } = fields;
      await tx
        .insert(products)
        .values(fields)
        .onConflictDoUpdate({
          target: products.id,
          set: { ...changes, version: sql`${products.version} + 1`, updatedAt: sql`now()` },
          // Re-running the seed over unchanged rows leaves their version alone.
          setWhere: sql`(${products.name}, ${products.description}, ${products.priceCents}, ${products.currency}, ${products.stock})
            IS DISTINCT FROM (excluded.name, excluded.description, excluded.price_cents, excluded.currency, excluded.stock)`,
        });
      const existing = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(reviews)
        .where(sql`${reviews.productId} = ${demo.id}`);
      if ((existing[0]?.n ?? 0) === 0 && demoReviews.length > 0) {
        await tx.insert(reviews).values(demoReviews.map((r) => ({ productId: demo.id, ...r })));
        added += demoReviews.length;
      }
      await tx.insert(outbox).values(keys.outboxTarget(demo.id));
    }
  });
  console.log(
    `Seeded ${DEMO.length} products (${added} new reviews) into ${new URL(url).host}; ` +
      "their cache entries are queued for invalidation.",
  );
} catch (err: unknown) {
  console.error(`Seeding failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await client.end();
}
