CREATE TABLE "audit_log" (
	"id" text PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"client_id" text,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"client_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"totp_seed_enc" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"source_lsn" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instruments" (
	"id" text PRIMARY KEY NOT NULL,
	"exchange" text NOT NULL,
	"segment" text NOT NULL,
	"symbol" text NOT NULL,
	"underlying" text NOT NULL,
	"option_type" text,
	"lot_size" integer NOT NULL,
	"tick_size" numeric(14, 2) NOT NULL,
	"freeze_qty" integer,
	"price_band_low" numeric(14, 2),
	"price_band_high" numeric(14, 2),
	"ltp" numeric(14, 2),
	"source_lsn" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "order_events" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"filled_qty" integer NOT NULL,
	"fill_qty" integer,
	"fill_price" numeric(14, 2),
	"reason" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"origin" text NOT NULL,
	"square_off_id" text,
	"position_id" text,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"quantity" integer NOT NULL,
	"filled_qty" integer DEFAULT 0 NOT NULL,
	"avg_fill_price" numeric(14, 2),
	"order_type" text NOT NULL,
	"price" numeric(14, 2),
	"product" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"version" integer DEFAULT 0 NOT NULL,
	"source_lsn" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"kind" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "outbox_ack" (
	"consumer" text PRIMARY KEY NOT NULL,
	"cursor" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"instrument_id" text NOT NULL,
	"product" text NOT NULL,
	"net_qty" integer NOT NULL,
	"avg_price" numeric(14, 2) NOT NULL,
	"source_lsn" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replication_cursor" (
	"source" text PRIMARY KEY NOT NULL,
	"lsn" bigint NOT NULL,
	"source_ts_ms" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_log_client" ON "audit_log" USING btree ("client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "instruments_exchange_symbol" ON "instruments" USING btree ("exchange","symbol");--> statement-breakpoint
CREATE INDEX "order_events_order" ON "order_events" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "orders_client" ON "orders" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "positions_client" ON "positions" USING btree ("client_id");