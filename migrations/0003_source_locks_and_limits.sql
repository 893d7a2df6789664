-- Shared by the instances on one PostgreSQL (issue 17). UNLOGGED (added by hand: drizzle-kit
-- does not know it): rows live for one update (locks) or one limit window, never reach the
-- write-ahead log, and a crash empties both tables, which is what they mean anyway.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"count" integer NOT NULL,
	"window_ends" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNLOGGED TABLE "source_locks" (
	"key" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"until" timestamp with time zone NOT NULL
);
