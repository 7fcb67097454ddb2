// The Account's SQLite tables, their row types, and what every module of the Account shares.
import type { OrderStatus, OrderType, Product, Side } from "../../src/contract";
import type { ReplicatedPosition } from "../../src/replication/client-rows";
import type { AlarmClock } from "./alarm";
import type { Outbox } from "./outbox";

/** What the Account's modules work on: its storage, its context, its bindings and its outbox. */
export interface Book {
	readonly sql: SqlStorage;
	readonly ctx: DurableObjectState;
	readonly env: Env;
	readonly outbox: Outbox;
	readonly alarm: AlarmClock;
	/** The first load of the client's data from Postgres, while it runs (see ensureLoaded). */
	loading: Promise<void> | null;
}

/** The one row about the client itself. */
export interface ClientRow {
	client_id: string | null;
	/** As it was at sign-in, so /api/me answers without Postgres. */
	name: string | null;
	status: "active" | "disabled";
	/** Set once the client's data is loaded: the replicated data's as-of time. */
	positions_as_of: string | null;
	/** The Postgres snapshot the positions held were read in, and when Postgres read them (ms). */
	positions_snapshot: string | null;
	positions_read_at: number | null;
	/** Set while ops have disabled the client (ops.ts); apart from `status`, which replication owns. */
	ops_disabled_at: string | null;
	[k: string]: SqlStorageValue;
}

export interface PositionRow extends ReplicatedPosition {
	[k: string]: SqlStorageValue;
}

export interface OrderRow {
	id: string;
	client_id: string;
	square_off_id: string | null;
	position_id: string | null;
	exchange: string;
	symbol: string;
	side: Side;
	quantity: number;
	filled_qty: number;
	fill_value_paise: number;
	order_type: OrderType;
	price: string | null;
	product: Product;
	market_protection: number | null;
	status: OrderStatus;
	reason: string | null;
	version: number;
	created_at: string;
	updated_at: string;
	relaying: number;
	cancel_state: "none" | "requested" | "sent";
	underlying: string | null;
	/** 1: a long-side leg of an exit-all waiting for its underlying's short-side legs to complete. */
	held: number;
	/** ISO time after which the order must not be placed (accepted + its TTL; null only in Accounts stored before it). */
	expires_at: string | null;
	/** ISO time it reached a final status (null while live, and for orders that ended before this column). */
	ended_at: string | null;
	/** 1: an attempt to place it got no definite answer, so the OMS may hold it (see checks). */
	outcome_unknown: number;
	relay_attempts: number;
	/** When the next check with the OMS of an order of unknown outcome may be sent (ms). */
	check_after: number | null;
	[k: string]: SqlStorageValue;
}

const TABLES = [
	`CREATE TABLE IF NOT EXISTS client (
		id INTEGER PRIMARY KEY CHECK (id = 1), client_id TEXT, name TEXT, status TEXT NOT NULL DEFAULT 'active', positions_as_of TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS sessions (
		id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER
	)`,
	// Account-wide sign-in state: wrong codes after the right password and their silent lock
	// (sign-in.ts), and the last TOTP step accepted.
	`CREATE TABLE IF NOT EXISTS sign_in (
		id INTEGER PRIMARY KEY CHECK (id = 1), failures INTEGER NOT NULL, lock_level INTEGER NOT NULL,
		locked_until INTEGER NOT NULL, last_totp_step INTEGER
	)`,
	// Per address (IPv4, or IPv6 /64): tries in a row, its lock, and until when it is trusted.
	`CREATE TABLE IF NOT EXISTS sign_in_addresses (
		address TEXT PRIMARY KEY, tries INTEGER NOT NULL, lock_level INTEGER NOT NULL, locked_until INTEGER NOT NULL,
		last_at INTEGER NOT NULL, trusted_until INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS challenges (
		nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, attempts INTEGER NOT NULL, name TEXT NOT NULL, sealed_seed TEXT NOT NULL,
		password_ok INTEGER NOT NULL, address TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS positions (
		id TEXT PRIMARY KEY, exchange TEXT NOT NULL, segment TEXT NOT NULL, symbol TEXT NOT NULL, underlying TEXT NOT NULL,
		product TEXT NOT NULL, net_qty INTEGER NOT NULL, avg_price TEXT NOT NULL, ltp TEXT, lot_size INTEGER NOT NULL,
		tick_size TEXT NOT NULL, freeze_qty INTEGER, band_low TEXT, band_high TEXT
	)`,
	`CREATE TABLE IF NOT EXISTS orders (
		id TEXT PRIMARY KEY, client_id TEXT NOT NULL, square_off_id TEXT, position_id TEXT, exchange TEXT NOT NULL,
		symbol TEXT NOT NULL, side TEXT NOT NULL, quantity INTEGER NOT NULL, filled_qty INTEGER NOT NULL DEFAULT 0,
		fill_value_paise INTEGER NOT NULL DEFAULT 0, order_type TEXT NOT NULL, price TEXT, product TEXT NOT NULL,
		market_protection REAL, status TEXT NOT NULL, reason TEXT, version INTEGER NOT NULL, created_at TEXT NOT NULL,
		updated_at TEXT NOT NULL, relaying INTEGER NOT NULL DEFAULT 0,
		cancel_state TEXT NOT NULL DEFAULT 'none'
	)`,
	// An Idempotency-Key's request hash and, once done, the outcome it answered (replayed as is).
	`CREATE TABLE IF NOT EXISTS idempotency_keys (
		key TEXT PRIMARY KEY, hash TEXT NOT NULL, outcome TEXT, created_at INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS oms_events (event_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
	// The primary's own pending orders, replicated in: shown with ours, never touched here.
	`CREATE TABLE IF NOT EXISTS primary_orders (id TEXT PRIMARY KEY, json TEXT NOT NULL)`,
	// Cancels of the primary's pending orders asked for here: 'requested', 'sent' (to the OMS
	// queue), 'cancelled' (the OMS said so). Kept across reloads: replicated data may lag.
	`CREATE TABLE IF NOT EXISTS primary_cancels (order_id TEXT PRIMARY KEY, state TEXT NOT NULL)`,
	// Fills of the primary's orders the OMS reported here: `qty` on top of the `base` the
	// replicated data showed at the first one (so a reload of lagging data cannot undo them).
	`CREATE TABLE IF NOT EXISTS primary_fills (order_id TEXT PRIMARY KEY, position_id TEXT, base INTEGER NOT NULL, qty INTEGER NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS outbound_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)`,
	// Ops alerts about this client's orders: 'sending' while a consumer holds the claim, then 'sent'.
	`CREATE TABLE IF NOT EXISTS order_alerts (key TEXT PRIMARY KEY, state TEXT NOT NULL, claimed_at INTEGER NOT NULL)`,
];

/** Columns client gained after the table was first created: added to older Accounts' tables. */
const ADDED_CLIENT_COLUMNS = [
	"ops_disabled_at TEXT",
	"ops_disabled_by TEXT",
	"ops_disabled_reason TEXT",
	"positions_snapshot TEXT",
	"positions_read_at INTEGER",
];

/** Columns orders gained after the table was first created: added to older Accounts' tables. */
const ADDED_ORDER_COLUMNS = [
	"underlying TEXT",
	"held INTEGER NOT NULL DEFAULT 0",
	"expires_at TEXT",
	"outcome_unknown INTEGER NOT NULL DEFAULT 0",
	"relay_attempts INTEGER NOT NULL DEFAULT 0",
	"check_after INTEGER",
	"ended_at TEXT",
];

function addColumns(sql: SqlStorage, table: string, added: string[]): void {
	const columns = new Set(
		sql
			.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
			.toArray()
			.map((c) => c.name),
	);
	for (const column of added) {
		if (!columns.has(column.split(" ")[0] ?? "")) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
	}
}

const hasTable = (sql: SqlStorage, name: string) =>
	sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;

/** Creates the tables, and carries an Account stored by an earlier version over to them. */
export function migrate(sql: SqlStorage): void {
	// Earlier versions locked the whole account on any five failures: that count and lock mean
	// nothing now, and their challenges (five minutes long) lack the password's verdict.
	const earlierSignIn = hasTable(sql, "sign_in") && !hasTable(sql, "sign_in_addresses");
	if (earlierSignIn) sql.exec("DROP TABLE IF EXISTS challenges");
	for (const ddl of TABLES) sql.exec(ddl);
	addColumns(sql, "orders", ADDED_ORDER_COLUMNS);
	addColumns(sql, "client", ADDED_CLIENT_COLUMNS);
	if (earlierSignIn) sql.exec("UPDATE sign_in SET failures = 0, lock_level = 0, locked_until = 0");
	sql.exec("INSERT OR IGNORE INTO sign_in VALUES (1, 0, 0, 0, NULL)");
	sql.exec("INSERT OR IGNORE INTO client (id) VALUES (1)");
	// Earlier versions kept the client's facts as key-value rows in `meta` and `book_meta`.
	for (const [table, key, column] of [
		["meta", "client_status", "status"],
		["meta", "client_name", "name"],
		["book_meta", "client_id", "client_id"],
		["book_meta", "positions_as_of", "positions_as_of"],
	] as const) {
		if (hasTable(sql, table))
			sql.exec(
				`UPDATE client SET ${column} = (SELECT value FROM ${table} WHERE key = ?) WHERE EXISTS (SELECT 1 FROM ${table} WHERE key = ?)`,
				key,
				key,
			);
	}
	sql.exec("DROP TABLE IF EXISTS meta");
	sql.exec("DROP TABLE IF EXISTS book_meta");
	// ... and idempotency records as HTTP answers: a done one becomes the outcome it stood for.
	if (hasTable(sql, "idempotency")) {
		const old = sql.exec<{ key: string; hash: string; state: string; body: string | null; problem: number; created_at: number }>(
			"SELECT key, hash, state, body, problem, created_at FROM idempotency",
		);
		for (const r of old) {
			const body = JSON.parse(r.body ?? "null") as Record<string, unknown> | null;
			const outcome =
				r.state !== "done" || body === null
					? null
					: r.problem === 1
						? { ok: false, refusal: { code: body.code, detail: body.detail } }
						: { ok: true, ...body };
			sql.exec(
				"INSERT OR IGNORE INTO idempotency_keys (key, hash, outcome, created_at) VALUES (?, ?, ?, ?)",
				r.key,
				r.hash,
				outcome === null ? null : JSON.stringify(outcome),
				r.created_at,
			);
		}
		sql.exec("DROP TABLE idempotency");
	}
}

export const clientRow = (sql: SqlStorage) =>
	sql
		.exec<ClientRow>("SELECT client_id, name, status, positions_as_of, positions_snapshot, positions_read_at, ops_disabled_at FROM client")
		.one();

/** Disabled by the primary (replicated status) or by ops: no session, no sign-in. */
export const clientDisabled = (c: ClientRow) => c.status === "disabled" || c.ops_disabled_at !== null;

export function updateClient(
	sql: SqlStorage,
	patch: Partial<Omit<ClientRow, "status" | "ops_disabled_at">> & { status?: ClientRow["status"] },
): void {
	for (const [column, value] of Object.entries(patch)) {
		if (value !== undefined) sql.exec(`UPDATE client SET ${column} = ?`, value);
	}
}
