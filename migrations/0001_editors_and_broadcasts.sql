CREATE TABLE "audit" (
	"id" serial PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"submission_number" integer,
	"detail" text,
	"actor_hash" text,
	"day" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "broadcasts" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"messages" jsonb NOT NULL,
	"progress_chat_id" text,
	"progress_message_id" integer,
	"paused_until" timestamp with time zone,
	"sent" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"unsubscribed" integer DEFAULT 0 NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"created_on" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" serial PRIMARY KEY NOT NULL,
	"broadcast_id" integer NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"not_before" timestamp with time zone,
	CONSTRAINT "deliveries_once" UNIQUE("broadcast_id","subscriber_id")
);
--> statement-breakpoint
CREATE TABLE "guidance" (
	"id" serial PRIMARY KEY NOT NULL,
	"locale" text NOT NULL,
	"version" integer NOT NULL,
	"text" text NOT NULL,
	"entities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_on" date NOT NULL,
	CONSTRAINT "guidance_locale_version" UNIQUE("locale","version")
);
--> statement-breakpoint
CREATE TABLE "subscribers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"chat_hash" text NOT NULL,
	"sealed_chat_id" "bytea" NOT NULL,
	"locale" text NOT NULL,
	CONSTRAINT "subscribers_chat_hash_unique" UNIQUE("chat_hash")
);
--> statement-breakpoint
ALTER TABLE "submissions" ADD COLUMN "reply_notice" "bytea";--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_broadcast_id_broadcasts_id_fk" FOREIGN KEY ("broadcast_id") REFERENCES "public"."broadcasts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_pending_idx" ON "deliveries" USING btree ("broadcast_id","state");