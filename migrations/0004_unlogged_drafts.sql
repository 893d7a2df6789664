-- An interview in progress never reaches the write-ahead log (issue 21). UNLOGGED is added by
-- hand (drizzle-kit does not know it). drafts goes UNLOGGED, so the logged parts table may no
-- longer refer to it: a part's draft is now told by draft_parts (UNLOGGED too), and parts keep
-- no draft id. Existing links move over, so interviews in progress carry on.
ALTER TABLE "parts" DROP CONSTRAINT "parts_draft_id_drafts_id_fk";
--> statement-breakpoint
ALTER TABLE "drafts" SET UNLOGGED;
--> statement-breakpoint
CREATE UNLOGGED TABLE "draft_parts" (
	"part_id" uuid PRIMARY KEY NOT NULL,
	"draft_id" uuid NOT NULL,
	"seq" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "draft_parts" ADD CONSTRAINT "draft_parts_part_id_parts_id_fk" FOREIGN KEY ("part_id") REFERENCES "public"."parts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "draft_parts" ADD CONSTRAINT "draft_parts_draft_id_drafts_id_fk" FOREIGN KEY ("draft_id") REFERENCES "public"."drafts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "draft_parts_draft_idx" ON "draft_parts" USING btree ("draft_id");--> statement-breakpoint
INSERT INTO "draft_parts" ("part_id", "draft_id", "seq")
	SELECT "id", "draft_id", "seq" FROM "parts" WHERE "draft_id" IN (SELECT "id" FROM "drafts");
--> statement-breakpoint
DROP INDEX "parts_draft_idx";--> statement-breakpoint
ALTER TABLE "parts" DROP COLUMN "draft_id";
