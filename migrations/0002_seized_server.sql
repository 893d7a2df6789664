-- Language choices are no longer kept per source (they outlived the conversation).
DROP TABLE "preferences" CASCADE;--> statement-breakpoint
-- The position moves into the sealed draft state, question ids into the ciphertext.
ALTER TABLE "drafts" ALTER COLUMN "position" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "parts" ALTER COLUMN "question_id" DROP NOT NULL;--> statement-breakpoint
-- Editors' notices go out in batches; existing submissions count as notified.
ALTER TABLE "submissions" ADD COLUMN "notified" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "unnotified_additions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "notice_message_id" integer;--> statement-breakpoint
-- The sealed link between a testimony and a chat goes: the server key opened it.
ALTER TABLE "submissions" DROP COLUMN "reply_notice";
