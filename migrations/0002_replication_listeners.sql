CREATE TABLE "replication_listeners" (
	"client_id" text PRIMARY KEY NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL
);
