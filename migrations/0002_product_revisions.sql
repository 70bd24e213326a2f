CREATE TABLE "product_revisions" (
	"product_id" text PRIMARY KEY NOT NULL,
	"rev" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "rev" bigint;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "applied_at" timestamp (3) with time zone;--> statement-breakpoint
CREATE INDEX "outbox_applied_idx" ON "outbox" USING btree ("applied_at");