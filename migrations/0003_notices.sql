CREATE TABLE "notice_transitions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"alerted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notices" (
	"transition_id" text NOT NULL,
	"client_id" text NOT NULL,
	"kind" text NOT NULL,
	"channel" text NOT NULL,
	"destination" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notices_transition_id_client_id_pk" PRIMARY KEY("transition_id","client_id")
);
--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "mobile" text;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "notices_opt_out" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "notices_status" ON "notices" USING btree ("status");