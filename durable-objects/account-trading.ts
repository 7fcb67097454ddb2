// The trading half of the Account Durable Object: the client's positions (loaded from Postgres
// once, then kept here), its exit orders with their versions, idempotency records, processed
// OMS event ids, and two outboxes (orders to put on the orders queue, records for Postgres).
//
// Why it cannot over-exit: every accept validates and reserves (inserts PENDING orders) with
// synchronous SQLite calls only, so no other request interleaves between the check and the
// write; queue sends come after, and an alarm re-sends whatever a failed send left behind.
import { and, eq, max, ne, notInArray } from "drizzle-orm";
import { auditEntry } from "../src/observability/audit";
import { schema, withDb } from "../src/db/client";
import { problemBody } from "../src/http/problem";
import { checkExit, exitAllOrder, exitLimits, exitSide, fromPaise, type Refusal, slice, STATUS_RANK, toPaise } from "../src/trading/rules";
import {
	type ApiResult,
	type AuditAction,
	FINAL_STATUSES,
	isFinal,
	type LiveMessage,
	type OmsEvent,
	type Order,
	type OrderMessage,
	type OrderRecord,
	type OrderStatus,
	type OrderType,
	type Position,
	type Product,
	type RecordMessage,
	type RelayOrder,
	type RelayOutcome,
	type Segment,
	type Side,
	type SquareOffRequest,
} from "../src/contract";

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How soon the alarm retries sends that failed (orders queue, records queue). */
const RESEND_AFTER_MS = 5000;
const QUEUE_BATCH = 100;
/** Longer than sendAlert can take with its retries: a claim this old belongs to a sender that died. */
const ALERT_CLAIM_MS = 60_000;
/** How long records for Postgres may wait to leave together (see kick). */
const RECORDS_BATCH_MS = 1000;

/**
 * Runs a send at most once at a time. A call arriving while one runs is not run alongside
 * (that would send the same rows twice): the running send goes round once more instead.
 * A failure is logged and leaves the rows in SQLite for the alarm.
 */
class SerialRunner {
	private running: Promise<void> | null = null;
	private again = false;

	constructor(private readonly send: () => Promise<void>) {}

	run(): Promise<void> {
		if (this.running) {
			this.again = true;
			return this.running;
		}
		this.running = (async () => {
			do {
				this.again = false;
				try {
					await this.send();
				} catch (err) {
					console.error(JSON.stringify({ event: "account.send_failed", message: String(err) }));
					return;
				}
			} while (this.again);
		})().finally(() => {
			this.running = null;
		});
		return this.running;
	}
}

interface PositionRow {
	id: string;
	exchange: string;
	segment: Segment;
	symbol: string;
	underlying: string;
	product: Product;
	net_qty: number;
	avg_price: string;
	ltp: string | null;
	lot_size: number;
	tick_size: string;
	freeze_qty: number | null;
	band_low: string | null;
	band_high: string | null;
	[k: string]: SqlStorageValue;
}

interface OrderRow {
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
	enqueued: number;
	relaying: number;
	cancel_state: "none" | "requested" | "sent";
	[k: string]: SqlStorageValue;
}

interface IdempotencyRow {
	key: string;
	hash: string;
	state: "in_flight" | "done";
	status: number | null;
	body: string | null;
	problem: number;
	created_at: number;
	[k: string]: SqlStorageValue;
}

export type OmsEventResult = "applied" | "unchanged" | "duplicate" | "unknown_order";

/**
 * A position's net quantity after a reload. Replicated data wins, except that it never takes
 * back an exit filled here: a snapshot that lags our fills would otherwise re-open quantity
 * already closed, and a second exit of it would over-exit. (While Lifeboat is active the
 * trader cannot add to a position anywhere else, so a larger same-side quantity is that lag.)
 */
export function reloadedNetQty(replicated: number, heldAfterFills: number | undefined): number {
	if (heldAfterFills === undefined) return replicated;
	if (heldAfterFills !== 0 && Math.sign(replicated) !== Math.sign(heldAfterFills)) return replicated;
	return Math.abs(replicated) > Math.abs(heldAfterFills) ? heldAfterFills : replicated;
}

function primaryOrderJson(row: typeof schema.orders.$inferSelect): Order {
	return {
		id: row.id,
		squareOffId: null,
		positionId: row.positionId,
		exchange: row.exchange,
		symbol: row.symbol,
		side: row.side,
		quantity: row.quantity,
		filledQty: row.filledQty,
		orderType: row.orderType,
		...(row.price === null ? {} : { price: row.price }),
		product: row.product as Product,
		status: row.status as OrderStatus,
		...(row.reason === null ? {} : { reason: row.reason }),
		createdAt: row.createdAt.toISOString(),
		updatedAt: row.updatedAt.toISOString(),
	};
}

const refused = (r: Refusal): ApiResult => ({ status: r.status, body: problemBody(r.status, r.code, r.detail), problem: true });

export class TradingBook {
	private readonly sql: SqlStorage;
	private loading: Promise<void> | null = null;
	private readonly orderSends = new SerialRunner(() => this.sendOrders());
	private readonly recordSends = new SerialRunner(() => this.sendRecords());
	private recordsScheduled = false;

	constructor(
		private readonly ctx: DurableObjectState,
		private readonly env: Env,
	) {
		this.sql = ctx.storage.sql;
	}

	migrate() {
		this.sql.exec(`CREATE TABLE IF NOT EXISTS book_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS positions (
			id TEXT PRIMARY KEY, exchange TEXT NOT NULL, segment TEXT NOT NULL, symbol TEXT NOT NULL, underlying TEXT NOT NULL,
			product TEXT NOT NULL, net_qty INTEGER NOT NULL, avg_price TEXT NOT NULL, ltp TEXT, lot_size INTEGER NOT NULL,
			tick_size TEXT NOT NULL, freeze_qty INTEGER, band_low TEXT, band_high TEXT
		)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS orders (
			id TEXT PRIMARY KEY, client_id TEXT NOT NULL, square_off_id TEXT, position_id TEXT, exchange TEXT NOT NULL,
			symbol TEXT NOT NULL, side TEXT NOT NULL, quantity INTEGER NOT NULL, filled_qty INTEGER NOT NULL DEFAULT 0,
			fill_value_paise INTEGER NOT NULL DEFAULT 0, order_type TEXT NOT NULL, price TEXT, product TEXT NOT NULL,
			market_protection REAL, status TEXT NOT NULL, reason TEXT, version INTEGER NOT NULL, created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL, enqueued INTEGER NOT NULL DEFAULT 0, relaying INTEGER NOT NULL DEFAULT 0,
			cancel_state TEXT NOT NULL DEFAULT 'none'
		)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS idempotency (
			key TEXT PRIMARY KEY, hash TEXT NOT NULL, state TEXT NOT NULL, status INTEGER, body TEXT,
			problem INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
		)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS oms_events (event_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
		// The primary's own pending orders, replicated in: shown with ours, never touched here.
		this.sql.exec(`CREATE TABLE IF NOT EXISTS primary_orders (id TEXT PRIMARY KEY, json TEXT NOT NULL)`);
		// Cancels of the primary's pending orders asked for here: 'requested', 'sent' (to the OMS
		// queue), 'cancelled' (the OMS said so). Kept across reloads: replicated data may lag.
		this.sql.exec(`CREATE TABLE IF NOT EXISTS primary_cancels (order_id TEXT PRIMARY KEY, state TEXT NOT NULL)`);
		// Fills of the primary's orders the OMS reported here: `qty` on top of the `base` the
		// replicated data showed at the first one (so a reload of lagging data cannot undo them).
		this.sql.exec(`CREATE TABLE IF NOT EXISTS primary_fills (
			order_id TEXT PRIMARY KEY, position_id TEXT, base INTEGER NOT NULL, qty INTEGER NOT NULL
		)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS outbound_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)`);
		// Ops alerts about this client's orders: 'sending' while a consumer holds the claim, then 'sent'.
		this.sql.exec(`CREATE TABLE IF NOT EXISTS order_alerts (key TEXT PRIMARY KEY, state TEXT NOT NULL, claimed_at INTEGER NOT NULL)`);
	}

	// --- positions ------------------------------------------------------------------------

	private meta(key: string): string | null {
		return this.sql.exec<{ value: string }>("SELECT value FROM book_meta WHERE key = ?", key).toArray()[0]?.value ?? null;
	}

	private setMeta(key: string, value: string) {
		this.sql.exec("INSERT INTO book_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
	}

	/** The first use loads from Postgres; every later one reads SQLite only (the hot path runs no query). */
	private async ensurePositions(clientId: string): Promise<void> {
		if (this.meta("positions_as_of")) return;
		this.loading ??= this.loadPositions(clientId).finally(() => {
			this.loading = null;
		});
		await this.loading;
	}

	/**
	 * Reloads the client's open positions, the primary's pending orders and the data's as-of time
	 * from Postgres (first use, and replication after it applied changes for this client).
	 */
	async loadPositions(clientId: string): Promise<void> {
		this.setMeta("client_id", clientId);
		const p = schema.positions;
		const i = schema.instruments;
		const o = schema.orders;
		const { pending, cursor, rows } = await withDb(this.env, `account:${clientId}`, async (db) => {
			const [pending, [cursor]] = await Promise.all([
				db
					.select()
					.from(o)
					.where(and(eq(o.clientId, clientId), eq(o.origin, "primary"), notInArray(o.status, [...FINAL_STATUSES]))),
				db.select({ ts: max(schema.replicationCursor.sourceTsMs) }).from(schema.replicationCursor),
			]);
			const rows = await db
				.select({
					id: p.id,
					exchange: i.exchange,
					segment: i.segment,
					symbol: i.symbol,
					underlying: i.underlying,
					product: p.product,
					netQty: p.netQty,
					avgPrice: p.avgPrice,
					ltp: i.ltp,
					lotSize: i.lotSize,
					tickSize: i.tickSize,
					freezeQty: i.freezeQty,
					bandLow: i.priceBandLow,
					bandHigh: i.priceBandHigh,
				})
				.from(p)
				.innerJoin(i, eq(p.instrumentId, i.id))
				.where(and(eq(p.clientId, clientId), ne(p.netQty, 0)));
			return { pending, cursor, rows };
		});
		const held = this.heldNetQty();
		this.sql.exec("DELETE FROM positions");
		for (const r of rows) {
			this.sql.exec(
				"INSERT INTO positions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				r.id,
				r.exchange,
				r.segment,
				r.symbol,
				r.underlying,
				r.product,
				reloadedNetQty(r.netQty, held.get(r.id)),
				r.avgPrice,
				r.ltp,
				r.lotSize,
				r.tickSize,
				r.freezeQty,
				r.bandLow,
				r.bandHigh,
			);
		}
		this.sql.exec("DELETE FROM primary_orders");
		for (const row of pending) this.sql.exec("INSERT INTO primary_orders VALUES (?, ?)", row.id, JSON.stringify(primaryOrderJson(row)));
		const loadedAt = new Date().toISOString();
		this.setMeta("positions_as_of", cursor?.ts ? new Date(Number(cursor.ts)).toISOString() : loadedAt);
	}

	/** Net quantities of positions this book has seen fills on (ours or the primary's): a reload must not undo those fills. */
	private heldNetQty(): Map<string, number> {
		const rows = this.sql
			.exec<{ id: string; net_qty: number }>(
				`SELECT p.id, p.net_qty FROM positions p WHERE EXISTS (SELECT 1 FROM orders o WHERE o.position_id = p.id AND o.filled_qty > 0)
				 OR EXISTS (SELECT 1 FROM primary_fills f WHERE f.position_id = p.id)`,
			)
			.toArray();
		return new Map(rows.map((r) => [r.id, r.net_qty]));
	}

	/**
	 * What is already on its way out of a position: the unfilled rest of our live exit orders,
	 * and of the primary's pending orders on the exit side (they sit at the exchange and may still
	 * fill while the primary is down; exiting that quantity again here could flip the position).
	 */
	private pendingExit(position: PositionRow): number {
		const ours =
			this.sql
				.exec<{ qty: number | null }>(
					"SELECT SUM(quantity - filled_qty) AS qty FROM orders WHERE position_id = ? AND status IN ('PENDING', 'SENT', 'OPEN')",
					position.id,
				)
				.toArray()[0]?.qty ?? 0;
		const side = exitSide(position.net_qty);
		const primary = this.primaryOrders()
			.filter((o) => o.side === side && !isFinal(o.status) && this.positionOf(o)?.id === position.id)
			.reduce((n, o) => n + Math.max(0, o.quantity - o.filledQty), 0);
		return ours + primary;
	}

	/** A primary order's position: the one it names, else the one with its exchange, symbol and product. */
	private positionOf(o: Order): PositionRow | undefined {
		if (o.positionId) return this.sql.exec<PositionRow>("SELECT * FROM positions WHERE id = ?", o.positionId).toArray()[0];
		return this.sql
			.exec<PositionRow>("SELECT * FROM positions WHERE exchange = ? AND symbol = ? AND product = ?", o.exchange, o.symbol, o.product)
			.toArray()[0];
	}

	/**
	 * The primary's pending orders as replicated, with what the OMS told us since: fills reported
	 * here (never fewer than replicated), CANCELLED where it confirmed our cancel.
	 */
	private primaryOrders(): Order[] {
		return this.sql
			.exec<{ json: string; cancel: string | null; base: number | null; qty: number | null }>(
				`SELECT p.json, c.state AS cancel, f.base, f.qty FROM primary_orders p
				 LEFT JOIN primary_cancels c ON c.order_id = p.id LEFT JOIN primary_fills f ON f.order_id = p.id ORDER BY p.id`,
			)
			.toArray()
			.map((r) => {
				const o = JSON.parse(r.json) as Order;
				const filledQty = Math.min(o.quantity, Math.max(o.filledQty, (r.base ?? 0) + (r.qty ?? 0)));
				if (r.cancel === "cancelled") return { ...o, filledQty, status: "CANCELLED" as const, reason: "cancelled from the backup site" };
				return { ...o, filledQty, status: filledQty === o.quantity ? ("COMPLETE" as const) : o.status };
			});
	}

	private primaryOrder(id: string): Order | undefined {
		return this.primaryOrders().find((o) => o.id === id);
	}

	private positionJson(r: PositionRow): Position {
		return {
			id: r.id,
			exchange: r.exchange,
			segment: r.segment,
			symbol: r.symbol,
			underlying: r.underlying,
			product: r.product,
			netQty: r.net_qty,
			avgPrice: r.avg_price,
			...(r.ltp === null ? {} : { ltp: r.ltp }),
			lotSize: r.lot_size,
			tickSize: r.tick_size,
			freezeQty: r.freeze_qty,
			...(r.band_low === null ? {} : { priceBandLow: r.band_low }),
			...(r.band_high === null ? {} : { priceBandHigh: r.band_high }),
			pendingExitQty: this.pendingExit(r),
		};
	}

	private position(id: string): PositionRow | undefined {
		return this.sql.exec<PositionRow>("SELECT * FROM positions WHERE id = ?", id).toArray()[0];
	}

	/** null once the client's data is loaded; the 503 to answer when Postgres could not give it. */
	private async unavailable(clientId: string): Promise<ApiResult | null> {
		try {
			await this.ensurePositions(clientId);
			return null;
		} catch (err) {
			console.error(JSON.stringify({ event: "positions.load_failed", clientId, message: String(err) }));
			return refused({ status: 503, code: "POSITIONS_UNAVAILABLE", detail: "positions could not be loaded; try again" });
		}
	}

	async listPositions(clientId: string): Promise<ApiResult> {
		const unavailable = await this.unavailable(clientId);
		if (unavailable) return unavailable;
		const rows = this.sql.exec<PositionRow>("SELECT * FROM positions WHERE net_qty != 0 ORDER BY symbol").toArray();
		return { status: 200, body: { asOf: this.meta("positions_as_of"), positions: rows.map((r) => this.positionJson(r)) }, problem: false };
	}

	// --- orders ---------------------------------------------------------------------------

	private orderJson(r: OrderRow): Order {
		return {
			id: r.id,
			squareOffId: r.square_off_id,
			positionId: r.position_id,
			exchange: r.exchange,
			symbol: r.symbol,
			side: r.side,
			quantity: r.quantity,
			filledQty: r.filled_qty,
			orderType: r.order_type,
			...(r.price === null ? {} : { price: r.price }),
			product: r.product,
			status: r.status,
			...(r.reason === null ? {} : { reason: r.reason }),
			createdAt: r.created_at,
			updatedAt: r.updated_at,
		};
	}

	private orderRecord(r: OrderRow): OrderRecord {
		const avg = r.filled_qty > 0 ? fromPaise(Math.round(r.fill_value_paise / r.filled_qty)) : undefined;
		return { ...this.orderJson(r), clientId: r.client_id, version: r.version, ...(avg ? { avgFillPrice: avg } : {}) };
	}

	private order(id: string): OrderRow | undefined {
		return this.sql.exec<OrderRow>("SELECT * FROM orders WHERE id = ?", id).toArray()[0];
	}

	/** Our orders, newest first, then the primary's pending orders replicated in. */
	async listOrders(clientId: string): Promise<ApiResult> {
		// The primary's pending orders come with the first load.
		const unavailable = await this.unavailable(clientId);
		if (unavailable) return unavailable;
		const ours = this.sql
			.exec<OrderRow>("SELECT * FROM orders ORDER BY rowid DESC")
			.toArray()
			.map((r) => this.orderJson(r));
		return { status: 200, body: { orders: [...ours, ...this.primaryOrders()] }, problem: false };
	}

	// --- idempotency ------------------------------------------------------------------------

	/** null: go ahead (the key is now in flight); otherwise the answer to give. */
	private beginIdempotent(key: string, hash: string): ApiResult | null {
		const row = this.sql.exec<IdempotencyRow>("SELECT * FROM idempotency WHERE key = ?", key).toArray()[0];
		if (row && row.created_at > Date.now() - IDEMPOTENCY_TTL_MS) {
			if (row.hash !== hash) {
				return refused({ status: 422, code: "IDEMPOTENCY_KEY_REUSED", detail: "this Idempotency-Key was used with a different request" });
			}
			if (row.state === "in_flight") {
				return refused({ status: 409, code: "IDEMPOTENCY_KEY_IN_FLIGHT", detail: "a request with this Idempotency-Key is still running" });
			}
			return { status: row.status ?? 200, body: JSON.parse(row.body ?? "null"), problem: row.problem === 1 };
		}
		this.sql.exec("INSERT OR REPLACE INTO idempotency (key, hash, state, created_at) VALUES (?, ?, 'in_flight', ?)", key, hash, Date.now());
		return null;
	}

	private finishIdempotent(key: string, result: ApiResult): ApiResult {
		this.sql.exec(
			"UPDATE idempotency SET state = 'done', status = ?, body = ?, problem = ? WHERE key = ?",
			result.status,
			JSON.stringify(result.body),
			result.problem ? 1 : 0,
			key,
		);
		return result;
	}

	// --- square-offs ----------------------------------------------------------------------

	async squareOff(clientId: string, key: string, hash: string, req: SquareOffRequest): Promise<ApiResult> {
		const early = this.beginIdempotent(key, hash);
		if (early) return early;
		const unavailable = await this.unavailable(clientId);
		if (unavailable) {
			// Nothing was decided: forget the key so the client can retry with it.
			this.sql.exec("DELETE FROM idempotency WHERE key = ?", key);
			return unavailable;
		}
		// From here to finishIdempotent: synchronous storage calls only (see the file comment).
		const planned = req.kind === "one" ? this.planOne(req) : this.planAll(req.segment);
		if (!planned.ok) {
			this.recordAudit("squareoff.refused", clientId, { code: planned.refusal.code, detail: planned.refusal.detail, request: req });
			const result = this.finishIdempotent(key, refused(planned.refusal));
			await this.kick({ orders: false });
			return result;
		}
		const squareOffId = crypto.randomUUID();
		const orders = planned.exits.flatMap((e) =>
			slice(e.quantity, e.position.lot_size, e.position.freeze_qty).map((qty) =>
				this.insertOrder(clientId, squareOffId, e.position, qty, e.orderType, e.price),
			),
		);
		this.recordAudit("squareoff.accepted", clientId, {
			squareOffId,
			request: req,
			orders: orders.map((o) => ({ id: o.id, positionId: o.positionId, side: o.side, quantity: o.quantity })),
		});
		const result = this.finishIdempotent(key, { status: 202, body: { squareOffId, orders }, problem: false });
		for (const e of planned.exits) this.broadcastPosition(e.position.id);
		await this.kick({ orders: true });
		return result;
	}

	private planOne(req: Extract<SquareOffRequest, { kind: "one" }>): PlanResult {
		const position = this.position(req.positionId);
		if (!position || position.net_qty === 0) {
			return { ok: false, refusal: { status: 404, code: "POSITION_NOT_FOUND", detail: "no open position with this id" } };
		}
		const pricePaise = req.price === undefined ? undefined : (toPaise(req.price) ?? undefined);
		const available = Math.abs(position.net_qty) - this.pendingExit(position);
		const check = checkExit(this.limits(position), available, { quantity: req.quantity, orderType: req.orderType, pricePaise });
		if (!check.ok) return check;
		const price = pricePaise === undefined ? undefined : fromPaise(pricePaise);
		return { ok: true, exits: [{ position, quantity: check.quantity, orderType: req.orderType, price }] };
	}

	private planAll(segment: Segment | undefined): PlanResult {
		const rows = this.sql.exec<PositionRow>("SELECT * FROM positions WHERE net_qty != 0").toArray();
		const exits = exitAllOrder(rows.map((r) => ({ ...r, netQty: r.net_qty })))
			.filter((r) => !segment || r.segment === segment)
			.map((position) => ({ position, quantity: Math.abs(position.net_qty) - this.pendingExit(position), orderType: "MARKET" as const }))
			// A partly exited F&O position exits its whole lots; an odd remainder cannot be sent.
			.map((e) => ({ ...e, quantity: e.quantity - (e.quantity % e.position.lot_size) }))
			.filter((e) => e.quantity > 0);
		if (exits.length === 0)
			return { ok: false, refusal: { status: 422, code: "NOTHING_TO_EXIT", detail: "no open quantity left to exit" } };
		return { ok: true, exits };
	}

	private limits(p: PositionRow) {
		return exitLimits({
			segment: p.segment,
			lotSize: p.lot_size,
			tickSize: p.tick_size,
			priceBandLow: p.band_low,
			priceBandHigh: p.band_high,
		});
	}

	private insertOrder(
		clientId: string,
		squareOffId: string,
		p: PositionRow,
		quantity: number,
		orderType: OrderType,
		price?: string,
	): Order {
		const id = crypto.randomUUID();
		const now = new Date().toISOString();
		const protection = orderType === "MARKET" ? Number(this.env.MARKET_PROTECTION_PCT) : null;
		this.sql.exec(
			`INSERT INTO orders (id, client_id, square_off_id, position_id, exchange, symbol, side, quantity, order_type, price, product,
				market_protection, status, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 1, ?, ?)`,
			id,
			clientId,
			squareOffId,
			p.id,
			p.exchange,
			p.symbol,
			exitSide(p.net_qty),
			quantity,
			orderType,
			price ?? null,
			p.product,
			protection,
			now,
			now,
		);
		const row = this.order(id)!;
		this.recordOrder(row, {});
		return this.orderJson(row);
	}

	// --- cancels --------------------------------------------------------------------------

	async cancel(clientId: string, key: string, hash: string, orderId: string | null): Promise<ApiResult> {
		const early = this.beginIdempotent(key, hash);
		if (early) return early;
		let result: ApiResult;
		if (orderId === null) {
			const open = this.sql.exec<OrderRow>("SELECT * FROM orders WHERE status IN ('PENDING', 'SENT', 'OPEN') ORDER BY rowid").toArray();
			const primary = this.primaryOrders().filter((o) => !isFinal(o.status));
			const orders = [...open.map((o) => this.requestCancel(clientId, o)), ...primary.map((o) => this.requestPrimaryCancel(clientId, o))];
			result = { status: 202, body: { orders }, problem: false };
		} else {
			const row = this.order(orderId);
			const primary = row ? undefined : this.primaryOrder(orderId);
			if (primary)
				result = isFinal(primary.status)
					? refused({ status: 409, code: "ORDER_NOT_CANCELLABLE", detail: `the order is already ${primary.status}` })
					: { status: 202, body: { order: this.requestPrimaryCancel(clientId, primary) }, problem: false };
			else if (!row) result = refused({ status: 404, code: "ORDER_NOT_FOUND", detail: "no order with this id" });
			else if (isFinal(row.status))
				result = refused({ status: 409, code: "ORDER_NOT_CANCELLABLE", detail: `the order is already ${row.status}` });
			else result = { status: 202, body: { order: this.requestCancel(clientId, row) }, problem: false };
		}
		this.finishIdempotent(key, result);
		await this.kick({ orders: true });
		return result;
	}

	/** An order not yet handed to the OMS is cancelled here; one the OMS may hold is cancelled there. */
	private requestCancel(clientId: string, row: OrderRow): Order {
		if (row.cancel_state !== "none") return this.orderJson(row);
		this.recordAudit("order.cancel_requested", clientId, { orderId: row.id, status: row.status });
		if (row.status === "PENDING" && row.relaying === 0) {
			return this.orderJson(this.change(row, { status: "CANCELLED", reason: "cancelled before it was sent" }, {}));
		}
		this.sql.exec("UPDATE orders SET cancel_state = 'requested' WHERE id = ?", row.id);
		return this.orderJson(this.order(row.id)!);
	}

	/** The primary's order is at the exchange: its cancel always goes to the OMS, once. */
	private requestPrimaryCancel(clientId: string, o: Order): Order {
		const asked = this.sql.exec("INSERT INTO primary_cancels (order_id, state) VALUES (?, 'requested') ON CONFLICT DO NOTHING", o.id);
		if (asked.rowsWritten > 0) this.recordAudit("order.cancel_requested", clientId, { orderId: o.id, status: o.status, origin: "primary" });
		return o;
	}

	// --- relay ----------------------------------------------------------------------------

	/**
	 * The relay asks before placing: only PENDING orders go out (the ids returned); from now on
	 * a cancel of them must go via the OMS. One call for all of a batch's orders of this client.
	 */
	beginRelay(orderIds: string[]): string[] {
		const send = orderIds.filter((id) => this.order(id)?.status === "PENDING");
		for (const id of send) this.sql.exec("UPDATE orders SET relaying = 1 WHERE id = ?", id);
		return send;
	}

	/** Whether a cancel should still go to the OMS: "wait" while the order itself is still being placed. */
	cancelRelay(orderId: string): "send" | "skip" | "wait" {
		const row = this.order(orderId);
		if (!row) {
			const primary = this.primaryOrder(orderId);
			return primary && !isFinal(primary.status) ? "send" : "skip";
		}
		if (isFinal(row.status)) return "skip";
		return row.status === "PENDING" ? "wait" : "send";
	}

	/**
	 * An ops alert goes out once per key, however often its dead letter is delivered: the first
	 * caller claims it; a send that failed gives the claim back so the retry sends it; a claim
	 * older than ALERT_CLAIM_MS (its sender died) can be taken over.
	 */
	claimAlert(key: string): boolean {
		const row = this.sql
			.exec<{ state: string; claimed_at: number }>("SELECT state, claimed_at FROM order_alerts WHERE key = ?", key)
			.toArray()[0];
		if (row && (row.state === "sent" || row.claimed_at > Date.now() - ALERT_CLAIM_MS)) return false;
		this.sql.exec(
			"INSERT INTO order_alerts (key, state, claimed_at) VALUES (?, 'sending', ?) ON CONFLICT (key) DO UPDATE SET state = 'sending', claimed_at = excluded.claimed_at",
			key,
			Date.now(),
		);
		return true;
	}

	settleAlert(key: string, sent: boolean) {
		if (sent) this.sql.exec("UPDATE order_alerts SET state = 'sent' WHERE key = ?", key);
		else this.sql.exec("DELETE FROM order_alerts WHERE key = ? AND state = 'sending'", key);
	}

	/** Applies what the relay learned, in one call per client and batch; `changed` is false for a duplicate or late outcome. */
	async relayOutcomes(outcomes: { orderId: string; outcome: RelayOutcome }[]): Promise<{ changed: boolean; order: Order | null }[]> {
		const results = outcomes.map(({ orderId, outcome }) => this.relayOutcome(orderId, outcome));
		await this.kick({ orders: false });
		return results;
	}

	private relayOutcome(orderId: string, outcome: RelayOutcome): { changed: boolean; order: Order | null } {
		const row = this.order(orderId);
		if (!row) return { changed: false, order: null };
		let after: OrderRow | null = null;
		switch (outcome.kind) {
			case "sent":
				if (row.status === "PENDING") after = this.change(row, { status: "SENT" }, {});
				if (after) this.recordAudit("order.sent", row.client_id, { orderId }, "system");
				break;
			case "rejected":
				if (!isFinal(row.status)) after = this.change(row, { status: "REJECTED", reason: outcome.reason }, {});
				if (after) this.recordAudit("order.rejected", row.client_id, { orderId, reason: outcome.reason }, "system");
				break;
			case "failed":
				if (!isFinal(row.status)) after = this.change(row, { status: "FAILED", reason: outcome.reason }, {});
				if (after) this.recordAudit("order.failed", row.client_id, { orderId, reason: outcome.reason }, "system");
				break;
		}
		return { changed: after !== null, order: this.orderJson(after ?? row) };
	}

	/** Applies the OMS's events in the order given (one request may carry many); one kick for all. */
	async applyOmsEvents(events: OmsEvent[]): Promise<OmsEventResult[]> {
		const results = events.map((ev) => this.applyOmsEvent(ev));
		await this.kick({ orders: false });
		return results;
	}

	/** One OMS event, applied once (event ids are remembered). Transitions only move forward. */
	private applyOmsEvent(ev: OmsEvent): OmsEventResult {
		if (this.sql.exec("SELECT 1 FROM oms_events WHERE event_id = ?", ev.eventId).toArray().length > 0) return "duplicate";
		const row = this.order(ev.orderId);
		if (!row) return this.applyPrimaryEvent(ev);
		this.sql.exec("INSERT INTO oms_events (event_id, at) VALUES (?, ?)", ev.eventId, Date.now());
		let after: OrderRow | null = null;
		switch (ev.type) {
			case "ACK":
				if (STATUS_RANK[row.status] < STATUS_RANK.OPEN) after = this.change(row, { status: "OPEN" }, {});
				break;
			case "REJECT":
				if (!isFinal(row.status)) after = this.change(row, { status: "REJECTED", reason: ev.reason ?? "rejected by the OMS" }, {});
				break;
			case "CANCELLED":
				if (!isFinal(row.status)) after = this.change(row, { status: "CANCELLED", reason: ev.reason ?? "cancelled" }, {});
				break;
			case "FILL":
				after = this.fill(row, ev.fillQty ?? 0, ev.fillPrice);
				break;
		}
		return after ? "applied" : "unchanged";
	}

	/**
	 * An event about one of the primary's pending orders. A FILL moves its position at once, as
	 * our own fills do (replicated data may have stopped; a reload keeps the fill, see
	 * heldNetQty); a CANCELLED marks it so here until replication says the same. Others change
	 * nothing here.
	 */
	private applyPrimaryEvent(ev: OmsEvent): OmsEventResult {
		const primary = this.primaryOrder(ev.orderId);
		if (!primary) return "unknown_order";
		this.sql.exec("INSERT INTO oms_events (event_id, at) VALUES (?, ?)", ev.eventId, Date.now());
		const position = this.positionOf(primary);
		if (ev.type === "FILL") {
			const q = Math.min(ev.fillQty ?? 0, primary.quantity - primary.filledQty);
			if (q <= 0) return "unchanged";
			this.sql.exec(
				`INSERT INTO primary_fills (order_id, position_id, base, qty) VALUES (?, ?, ?, ?)
				 ON CONFLICT (order_id) DO UPDATE SET qty = qty + excluded.qty`,
				primary.id,
				position?.id ?? null,
				primary.filledQty,
				q,
			);
			if (position) this.moveByFill(position.id, primary.side, q);
		} else if (ev.type === "CANCELLED" && !isFinal(primary.status)) {
			this.sql.exec(
				"INSERT INTO primary_cancels (order_id, state) VALUES (?, 'cancelled') ON CONFLICT (order_id) DO UPDATE SET state = 'cancelled'",
				primary.id,
			);
			// In the outbox for failback: the primary reconciles its own order against this.
			this.recordAudit("order.primary_cancelled", ev.clientId, { orderId: primary.id, eventId: ev.eventId }, "oms");
		} else return "unchanged";
		const after = this.primaryOrder(primary.id);
		if (after) this.broadcast({ type: "order", order: after });
		if (position) this.broadcastPosition(position.id);
		return "applied";
	}

	/**
	 * A fill always counts, whatever the status (it happened at the exchange, even after a cancel
	 * request or a FAILED relay): it moves the position towards zero. Only a live order's status changes.
	 */
	private fill(row: OrderRow, qty: number, price: string | undefined): OrderRow | null {
		const q = Math.min(qty, row.quantity - row.filled_qty);
		if (q <= 0) return null;
		const filled = row.filled_qty + q;
		const status: OrderStatus = isFinal(row.status) ? row.status : filled === row.quantity ? "COMPLETE" : "OPEN";
		const pricePaise = price === undefined ? null : toPaise(price);
		if (row.position_id) this.moveByFill(row.position_id, row.side, q);
		const after = this.change(
			row,
			{ status, filled_qty: filled, fill_value_paise: row.fill_value_paise + q * (pricePaise ?? 0) },
			{ fillQty: q, ...(price === undefined ? {} : { fillPrice: price }) },
		);
		return after;
	}

	/** A fill of `qty` on an order of `side` moves its position by that much (a SELL down, a BUY up). */
	private moveByFill(positionId: string, side: Side, qty: number) {
		this.sql.exec("UPDATE positions SET net_qty = net_qty + ? WHERE id = ?", side === "SELL" ? -qty : qty, positionId);
	}

	/** Every applied change: version + 1, a record for Postgres, a push to the live sockets. */
	private change(
		row: OrderRow,
		patch: Partial<Pick<OrderRow, "status" | "reason" | "filled_qty" | "fill_value_paise">>,
		event: { fillQty?: number; fillPrice?: string },
	): OrderRow {
		const next = { ...row, ...patch };
		this.sql.exec(
			"UPDATE orders SET status = ?, reason = ?, filled_qty = ?, fill_value_paise = ?, version = version + 1, updated_at = ? WHERE id = ?",
			next.status,
			next.reason,
			next.filled_qty,
			next.fill_value_paise,
			new Date().toISOString(),
			row.id,
		);
		const after = this.order(row.id)!;
		this.recordOrder(after, event);
		this.broadcast({ type: "order", order: this.orderJson(after) });
		if (after.position_id && (after.filled_qty !== row.filled_qty || isFinal(after.status) !== isFinal(row.status))) {
			this.broadcastPosition(after.position_id);
		}
		return after;
	}

	// --- outboxes: orders queue and records queue ----------------------------------------

	private recordOrder(row: OrderRow, event: { fillQty?: number; fillPrice?: string }) {
		const msg: RecordMessage = { kind: "order", order: this.orderRecord(row), event };
		this.sql.exec("INSERT INTO outbound_records (body) VALUES (?)", JSON.stringify(msg));
	}

	private recordAudit(action: AuditAction, clientId: string, detail: Record<string, unknown>, actor = `client:${clientId}`) {
		const msg: RecordMessage = { kind: "audit", entry: auditEntry(action, actor, clientId, detail) };
		this.sql.exec("INSERT INTO outbound_records (body) VALUES (?)", JSON.stringify(msg));
	}

	private relayOrder(r: OrderRow): RelayOrder {
		return {
			orderId: r.id,
			clientId: r.client_id,
			exchange: r.exchange,
			symbol: r.symbol,
			side: r.side,
			quantity: r.quantity,
			orderType: r.order_type,
			...(r.price === null ? {} : { price: r.price }),
			product: r.product,
			...(r.market_protection === null ? {} : { marketProtection: r.market_protection }),
		};
	}

	/**
	 * Answers need not wait for the queues: what is waiting sits in SQLite and an alarm is armed
	 * (it resends if this object is evicted mid-send). Orders and cancels then leave at once
	 * (only a square-off or a cancel makes any, so only those look for them);
	 * records for Postgres leave together up to RECORDS_BATCH_MS later, so a busy client sends
	 * one batch of them instead of one per change.
	 */
	private async kick(what: { orders: boolean }): Promise<void> {
		const soon = Date.now() + RESEND_AFTER_MS;
		const current = await this.ctx.storage.getAlarm();
		if (current === null || current > soon) await this.ctx.storage.setAlarm(soon);
		if (what.orders) this.ctx.waitUntil(this.orderSends.run());
		if (!this.recordsScheduled) {
			this.recordsScheduled = true;
			this.ctx.waitUntil(
				scheduler.wait(RECORDS_BATCH_MS).then(() => {
					this.recordsScheduled = false;
					return this.recordSends.run();
				}),
			);
		}
	}

	private async sendOrders(): Promise<void> {
		const places = this.sql.exec<OrderRow>("SELECT * FROM orders WHERE status = 'PENDING' AND enqueued = 0 ORDER BY rowid").toArray();
		const cancels = this.sql.exec<OrderRow>("SELECT * FROM orders WHERE cancel_state = 'requested'").toArray();
		const primaryCancels = this.sql.exec<{ order_id: string }>("SELECT order_id FROM primary_cancels WHERE state = 'requested'").toArray();
		const clientId = this.meta("client_id");
		const now = new Date().toISOString();
		const messages: { id: string; body: OrderMessage }[] = [
			...places.map((r) => ({ id: r.id, body: { kind: "place", order: this.relayOrder(r), acceptedAt: r.created_at } as const })),
			...cancels.map((r) => ({ id: r.id, body: { kind: "cancel", orderId: r.id, clientId: r.client_id, requestedAt: now } as const })),
			...(clientId === null
				? []
				: primaryCancels.map((r) => ({
						id: r.order_id,
						body: { kind: "cancel", orderId: r.order_id, clientId, requestedAt: now } as const,
					}))),
		];
		for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
			const chunk = messages.slice(i, i + QUEUE_BATCH);
			await this.env.ORDERS.sendBatch(chunk.map((m) => ({ body: m.body })));
			for (const m of chunk) {
				if (m.body.kind === "place") this.sql.exec("UPDATE orders SET enqueued = 1 WHERE id = ?", m.id);
				else {
					this.sql.exec("UPDATE orders SET cancel_state = 'sent' WHERE id = ? AND cancel_state = 'requested'", m.id);
					this.sql.exec("UPDATE primary_cancels SET state = 'sent' WHERE order_id = ? AND state = 'requested'", m.id);
				}
			}
		}
	}

	private async sendRecords(): Promise<void> {
		for (;;) {
			const rows = this.sql
				.exec<{ seq: number; body: string }>("SELECT seq, body FROM outbound_records ORDER BY seq LIMIT ?", QUEUE_BATCH)
				.toArray();
			if (rows.length === 0) return;
			await this.env.RECORDS.sendBatch(rows.map((r) => ({ body: JSON.parse(r.body) as RecordMessage })));
			this.sql.exec("DELETE FROM outbound_records WHERE seq <= ?", rows[rows.length - 1].seq);
		}
	}

	/** Whether anything still waits to be sent (the alarm keeps coming back until nothing does). */
	private waiting(): boolean {
		return (
			this.sql
				.exec(
					"SELECT 1 FROM orders WHERE (status = 'PENDING' AND enqueued = 0) OR cancel_state = 'requested' UNION ALL SELECT 1 FROM primary_cancels WHERE state = 'requested' UNION ALL SELECT 1 FROM outbound_records LIMIT 1",
				)
				.toArray().length > 0
		);
	}

	/**
	 * The alarm resends what a failed or interrupted send left behind, expires idempotency keys
	 * and event ids, and comes back soon while anything waits, else when the oldest key expires.
	 * Only here does the alarm move later: kicks only bring it nearer, so a busy client does not
	 * rewrite it on every request.
	 */
	async alarm(): Promise<void> {
		this.sql.exec("DELETE FROM idempotency WHERE created_at <= ?", Date.now() - IDEMPOTENCY_TTL_MS);
		this.sql.exec("DELETE FROM oms_events WHERE at <= ?", Date.now() - IDEMPOTENCY_TTL_MS);
		await Promise.all([this.orderSends.run(), this.recordSends.run()]);
		const oldestKey = this.sql.exec<{ at: number | null }>("SELECT MIN(created_at) AS at FROM idempotency").toArray()[0]?.at ?? null;
		const at = this.waiting() ? Date.now() + RESEND_AFTER_MS : oldestKey === null ? null : oldestKey + IDEMPOTENCY_TTL_MS;
		if (at !== null) await this.ctx.storage.setAlarm(at);
	}

	// --- live sockets (hibernation API) ----------------------------------------------------

	acceptLive(): Response {
		const pair = new WebSocketPair();
		this.ctx.acceptWebSocket(pair[1]);
		return new Response(null, { status: 101, webSocket: pair[0] });
	}

	private broadcast(msg: LiveMessage) {
		const text = JSON.stringify(msg);
		for (const ws of this.ctx.getWebSockets()) {
			try {
				ws.send(text);
			} catch {
				// A socket closing under us: it leaves the list on its own.
			}
		}
	}

	private broadcastPosition(positionId: string) {
		const p = this.position(positionId);
		if (p) this.broadcast({ type: "position", position: this.positionJson(p) });
	}
}

type PlannedExit = { position: PositionRow; quantity: number; orderType: OrderType; price?: string };
type PlanResult = { ok: true; exits: PlannedExit[] } | { ok: false; refusal: Refusal };
