CREATE TABLE "editor_keys" (
	"fingerprint" text PRIMARY KEY NOT NULL,
	"user_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"confirmed" boolean NOT NULL,
	"added_on" date NOT NULL
);
--> statement-breakpoint
ALTER TABLE "parts" ADD COLUMN "recipients" jsonb;