CREATE TABLE "attachment_chunks" (
	"attachment_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "attachment_chunks_attachment_id_seq_pk" PRIMARY KEY("attachment_id","seq")
);
--> statement-breakpoint
CREATE TABLE "drafts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_hash" text NOT NULL,
	"questionnaire_version" integer NOT NULL,
	"locale" text NOT NULL,
	"position" text NOT NULL,
	"sealed_state" "bytea" NOT NULL,
	"created_on" date NOT NULL,
	"expires_on" date NOT NULL,
	CONSTRAINT "drafts_user_hash_unique" UNIQUE("user_hash")
);
--> statement-breakpoint
CREATE TABLE "parts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"draft_id" uuid,
	"submission_id" uuid,
	"question_id" text NOT NULL,
	"kind" text NOT NULL,
	"seq" integer NOT NULL,
	"ciphertext" "bytea" NOT NULL,
	"attachment_id" uuid,
	"created_on" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "preferences" (
	"user_hash" text PRIMARY KEY NOT NULL,
	"locale" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" serial NOT NULL,
	"questionnaire_version" integer NOT NULL,
	"locale" text NOT NULL,
	"status" text DEFAULT 'new' NOT NULL,
	"status_note" "bytea",
	"created_on" date NOT NULL,
	"codename_hash" text NOT NULL,
	"reply_public_key" "bytea" NOT NULL,
	"reply_private_key" "bytea" NOT NULL,
	CONSTRAINT "submissions_number_unique" UNIQUE("number"),
	CONSTRAINT "submissions_codename_hash_unique" UNIQUE("codename_hash")
);
--> statement-breakpoint
ALTER TABLE "parts" ADD CONSTRAINT "parts_draft_id_drafts_id_fk" FOREIGN KEY ("draft_id") REFERENCES "public"."drafts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "parts" ADD CONSTRAINT "parts_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "parts_draft_idx" ON "parts" USING btree ("draft_id");--> statement-breakpoint
CREATE INDEX "parts_submission_idx" ON "parts" USING btree ("submission_id");