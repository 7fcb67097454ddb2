CREATE TABLE "replication_tombstones" (
	"target" text NOT NULL,
	"row_id" text NOT NULL,
	"source_lsn" bigint NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replication_tombstones_target_row_id_pk" PRIMARY KEY("target","row_id")
);
--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "txid" bigint DEFAULT pg_current_xact_id()::text::bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_ack" ADD COLUMN "txid" bigint NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox_ack" ADD COLUMN "seq" bigint NOT NULL;--> statement-breakpoint
CREATE INDEX "outbox_txid_seq" ON "outbox" USING btree ("txid","seq");--> statement-breakpoint
ALTER TABLE "outbox_ack" DROP COLUMN "cursor";