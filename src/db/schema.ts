// Postgres schema: the subset of the primary's data replicated in (clients, instruments,
// positions, the primary's pending orders) and the backup's own records (orders it placed,
// their events, the audit log, the outbox handed back at failback).
import { sql } from "drizzle-orm";
import {
	bigint,
	bigserial,
	boolean,
	index,
	integer,
	jsonb,
	numeric,
	pgTable,
	primaryKey,
	text,
	timestamp,
	uniqueIndex,
} from "drizzle-orm/pg-core";
import { NOTICE_CHANNELS, NOTICE_KINDS, NOTICE_STATUSES, ORDER_STATUSES, ORDER_TYPES, PRODUCTS, SEGMENTS, SIDES } from "../contract";

const sourceLsn = () => bigint("source_lsn", { mode: "bigint" }).notNull().default(sql`0`);
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
const price = (name: string) => numeric(name, { precision: 14, scale: 2 });

export const clients = pgTable("clients", {
	clientId: text("client_id").primaryKey(),
	name: text("name").notNull(),
	passwordHash: text("password_hash").notNull(),
	/** AES-GCM ciphertext of the base32 TOTP seed: base64(iv || ciphertext). */
	totpSeedEnc: text("totp_seed_enc").notNull(),
	status: text("status", { enum: ["active", "disabled"] })
		.notNull()
		.default("active"),
	/** Where notices go (SMS first, else e-mail); null when the primary has none. */
	mobile: text("mobile"),
	email: text("email"),
	/** The client asked for no notices. */
	noticesOptOut: boolean("notices_opt_out").notNull().default(false),
	sourceLsn: sourceLsn(),
	updatedAt: updatedAt(),
});

export const instruments = pgTable(
	"instruments",
	{
		id: text("id").primaryKey(),
		exchange: text("exchange").notNull(),
		segment: text("segment", { enum: SEGMENTS }).notNull(),
		symbol: text("symbol").notNull(),
		underlying: text("underlying").notNull(),
		optionType: text("option_type", { enum: ["CE", "PE"] }),
		lotSize: integer("lot_size").notNull(),
		tickSize: price("tick_size").notNull(),
		/** Largest quantity the exchange takes in one order; null where none applies. */
		freezeQty: integer("freeze_qty"),
		priceBandLow: price("price_band_low"),
		priceBandHigh: price("price_band_high"),
		ltp: price("ltp"),
		sourceLsn: sourceLsn(),
		updatedAt: updatedAt(),
	},
	(t) => [uniqueIndex("instruments_exchange_symbol").on(t.exchange, t.symbol)],
);

export const positions = pgTable(
	"positions",
	{
		id: text("id").primaryKey(),
		clientId: text("client_id").notNull(),
		instrumentId: text("instrument_id").notNull(),
		product: text("product", { enum: PRODUCTS }).notNull(),
		netQty: integer("net_qty").notNull(),
		avgPrice: price("avg_price").notNull(),
		sourceLsn: sourceLsn(),
		updatedAt: updatedAt(),
	},
	// By instrument: replication finds who holds an instrument that changed.
	(t) => [index("positions_client").on(t.clientId), index("positions_instrument").on(t.instrumentId)],
);

export const orders = pgTable(
	"orders",
	{
		id: text("id").primaryKey(),
		clientId: text("client_id").notNull(),
		/** "backup" for orders Lifeboat placed, "primary" for pending orders replicated in. */
		origin: text("origin", { enum: ["backup", "primary"] }).notNull(),
		squareOffId: text("square_off_id"),
		positionId: text("position_id"),
		exchange: text("exchange").notNull(),
		symbol: text("symbol").notNull(),
		side: text("side", { enum: SIDES }).notNull(),
		quantity: integer("quantity").notNull(),
		filledQty: integer("filled_qty").notNull().default(0),
		avgFillPrice: price("avg_fill_price"),
		orderType: text("order_type", { enum: ORDER_TYPES }).notNull(),
		price: price("price"),
		product: text("product", { enum: PRODUCTS }).notNull(),
		status: text("status", { enum: ORDER_STATUSES }).notNull(),
		reason: text("reason"),
		/** Monotonic version from the owning Durable Object; an older write never wins. */
		version: integer("version").notNull().default(0),
		sourceLsn: sourceLsn(),
		createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
		updatedAt: updatedAt(),
	},
	(t) => [index("orders_client").on(t.clientId)],
);

export const orderEvents = pgTable(
	"order_events",
	{
		id: text("id").primaryKey(),
		orderId: text("order_id").notNull(),
		version: integer("version").notNull(),
		status: text("status", { enum: ORDER_STATUSES }).notNull(),
		filledQty: integer("filled_qty").notNull(),
		fillQty: integer("fill_qty"),
		fillPrice: price("fill_price"),
		reason: text("reason"),
		at: timestamp("at", { withTimezone: true }).notNull(),
	},
	(t) => [index("order_events_order").on(t.orderId)],
);

/** Append-only: rows are inserted, never updated or deleted. */
export const auditLog = pgTable(
	"audit_log",
	{
		id: text("id").primaryKey(),
		at: timestamp("at", { withTimezone: true }).notNull(),
		clientId: text("client_id"),
		actor: text("actor").notNull(),
		action: text("action").notNull(),
		detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
	},
	(t) => [index("audit_log_client").on(t.clientId)],
);

/** How far replication has applied, per source (connector). */
export const replicationCursor = pgTable("replication_cursor", {
	source: text("source").primaryKey(),
	lsn: bigint("lsn", { mode: "bigint" }).notNull(),
	sourceTsMs: bigint("source_ts_ms", { mode: "number" }).notNull(),
	appliedAt: updatedAt(),
});

/** What the backup created, in commit order, for the primary to take back at failback. */
export const outbox = pgTable(
	"outbox",
	{
		seq: bigserial("seq", { mode: "number" }).primaryKey(),
		/**
		 * The writing transaction's id. Readers page by (txid, seq) and only past transactions that
		 * have all finished, so a slow transaction can never commit behind a reader's cursor.
		 */
		txid: bigint("txid", { mode: "number" }).notNull().default(sql`pg_current_xact_id()::text::bigint`),
		eventId: text("event_id").notNull().unique(),
		kind: text("kind", { enum: ["order", "order_event", "audit"] }).notNull(),
		aggregateId: text("aggregate_id").notNull(),
		payload: jsonb("payload").notNull(),
		createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
	},
	(t) => [index("outbox_txid_seq").on(t.txid, t.seq)],
);

/** How far each consumer (the primary's failback job) has taken the outbox: its last (txid, seq). */
export const outboxAck = pgTable("outbox_ack", {
	consumer: text("consumer").primaryKey(),
	txid: bigint("txid", { mode: "number" }).notNull(),
	seq: bigint("seq", { mode: "number" }).notNull(),
	ackedAt: updatedAt(),
});

/**
 * Deletes and truncates replicated in, kept so that an older change arriving late cannot bring
 * a deleted row back. `rowId` "*" stands for the whole table (a truncate).
 */
export const replicationTombstones = pgTable(
	"replication_tombstones",
	{
		target: text("target").notNull(),
		rowId: text("row_id").notNull(),
		sourceLsn: bigint("source_lsn", { mode: "bigint" }).notNull(),
		deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull().defaultNow(),
	},
	(t) => [primaryKey({ columns: [t.target, t.rowId] })],
);

/**
 * Clients whose Account holds a copy of their positions: it registers here before each load,
 * and replication tells these Accounts after a batch, no others (an Account that holds nothing
 * has nothing to refresh, and the word costs the site as much as a request).
 */
export const replicationListeners = pgTable("replication_listeners", {
	clientId: text("client_id").primaryKey(),
	since: timestamp("since", { withTimezone: true }).notNull().defaultNow(),
});

/** A transition clients are told about (the Failover object's id); `alertedAt`: ops heard its notices are failing. */
export const noticeTransitions = pgTable("notice_transitions", {
	id: text("id").primaryKey(),
	kind: text("kind", { enum: NOTICE_KINDS }).notNull(),
	at: timestamp("at", { withTimezone: true }).notNull(),
	alertedAt: timestamp("alerted_at", { withTimezone: true }),
	createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One notice per client and transition: the dedupe record, claimed with a lease while it is handed
 * to the gateway, so a redelivered message, a repeated fan-out or a restart never sends it twice.
 */
export const notices = pgTable(
	"notices",
	{
		transitionId: text("transition_id").notNull(),
		clientId: text("client_id").notNull(),
		kind: text("kind", { enum: NOTICE_KINDS }).notNull(),
		channel: text("channel", { enum: NOTICE_CHANNELS }).notNull(),
		destination: text("destination").notNull(),
		status: text("status", { enum: NOTICE_STATUSES }).notNull().default("queued"),
		attempts: integer("attempts").notNull().default(0),
		/** While `sending`: until when the claim holds; past it another delivery may take it over. */
		leaseUntil: timestamp("lease_until", { withTimezone: true }),
		sentAt: timestamp("sent_at", { withTimezone: true }),
		error: text("error"),
		createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
		updatedAt: updatedAt(),
	},
	(t) => [primaryKey({ columns: [t.transitionId, t.clientId] }), index("notices_status").on(t.status)],
);
