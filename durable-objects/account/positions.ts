// The client's positions: loaded from Postgres once (with the primary's pending orders), then
// kept here and moved by fills, so the hot path runs no query. What is left to exit is the
// open quantity minus what live exit orders (ours and the primary's) already cover.
import { sql } from "drizzle-orm";
import {
	FINAL_STATUSES,
	isFinal,
	OPEN_STATUSES,
	type Order,
	type Outcome,
	type Position,
	type Refused,
	type Side,
	sqlList,
} from "../../src/contract";
import { schema, withDb } from "../../src/db/client";
import { logForClient } from "../../src/observability/log";
import { exitSide } from "../../src/trading/rules";
import { broadcast } from "./live";
import { type PrimaryOrderRow, primaryOrderJson, primaryOrders, replacePrimaryOrders } from "./primary-orders";
import { type Book, clientRow, type PositionRow, updateClient } from "./schema";

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

const { positions, instruments, orders } = schema;

/** A position with its instrument's terms, keyed and ordered as the Account's positions table. */
const POSITION_FIELDS = {
	id: positions.id,
	exchange: instruments.exchange,
	segment: instruments.segment,
	symbol: instruments.symbol,
	underlying: instruments.underlying,
	product: positions.product,
	net_qty: positions.netQty,
	avg_price: sql`${positions.avgPrice}::text`,
	ltp: sql`${instruments.ltp}::text`,
	lot_size: instruments.lotSize,
	tick_size: sql`${instruments.tickSize}::text`,
	freeze_qty: instruments.freezeQty,
	band_low: sql`${instruments.priceBandLow}::text`,
	band_high: sql`${instruments.priceBandHigh}::text`,
};
const POSITION_COLUMNS = Object.keys(POSITION_FIELDS) as (keyof typeof POSITION_FIELDS)[];
const INSERT_POSITION = `INSERT INTO positions (${POSITION_COLUMNS.join(", ")}) VALUES (${POSITION_COLUMNS.map(() => "?").join(", ")})`;

const PENDING_ORDER_FIELDS = {
	id: orders.id,
	positionId: orders.positionId,
	exchange: orders.exchange,
	symbol: orders.symbol,
	side: orders.side,
	quantity: orders.quantity,
	filledQty: orders.filledQty,
	orderType: orders.orderType,
	price: sql`${orders.price}::text`,
	product: orders.product,
	status: orders.status,
	reason: orders.reason,
	createdAt: orders.createdAt,
	updatedAt: orders.updatedAt,
} satisfies Record<keyof PrimaryOrderRow, unknown>;

const jsonObject = (fields: Record<string, unknown>) =>
	sql`json_build_object(${sql.join(
		Object.entries(fields).map(([k, v]) => sql`${k}::text, ${v}`),
		sql`, `,
	)})`;

/**
 * One statement: registers the Account as a listener of replication, and reads the client's
 * open positions (with their instruments), the primary's pending orders and the data's time.
 * Prices come as Postgres text, as the query builder would give them.
 */
const clientRowsStatement = (clientId: string) => sql`
	WITH registered AS (
		INSERT INTO ${schema.replicationListeners} (client_id) VALUES (${clientId}) ON CONFLICT DO NOTHING RETURNING 1)
	SELECT
		EXISTS (SELECT 1 FROM registered) AS "registered",
		(SELECT max(${schema.replicationCursor.sourceTsMs}) FROM ${schema.replicationCursor}) AS "sourceTsMs",
		(SELECT coalesce(json_agg(${jsonObject(POSITION_FIELDS)}), '[]') FROM ${positions}
			JOIN ${instruments} ON ${instruments.id} = ${positions.instrumentId}
			WHERE ${positions.clientId} = ${clientId} AND ${positions.netQty} <> 0) AS "positions",
		(SELECT coalesce(json_agg(${jsonObject(PENDING_ORDER_FIELDS)}), '[]') FROM ${orders}
			WHERE ${orders.clientId} = ${clientId} AND ${orders.origin} = 'primary'
			AND ${orders.status} NOT IN (${sql.raw(sqlList(FINAL_STATUSES))})) AS "pending"`;

type ClientRows = {
	registered: boolean;
	sourceTsMs: string | null;
	positions: PositionRow[];
	pending: PrimaryOrderRow[];
};

/**
 * Reloads the client's open positions, the primary's pending orders and the data's as-of time
 * from Postgres (first use, and replication after it applied changes for this client): one
 * statement, one more only the first time the Account registers as a listener, since a batch
 * committed between that statement's snapshot and its registration would tell nobody.
 */
export async function loadPositions(book: Book, clientId: string): Promise<void> {
	updateClient(book.sql, { client_id: clientId });
	const read = await withDb(book.env, `account:${clientId}`, async (db) => {
		const readRows = async () => (await db.execute<ClientRows>(clientRowsStatement(clientId))).rows[0]!;
		const first = await readRows();
		return first.registered ? readRows() : first;
	});
	const held = heldNetQty(book.sql);
	book.sql.exec("DELETE FROM positions");
	for (const r of read.positions) {
		const row: PositionRow = { ...r, net_qty: reloadedNetQty(r.net_qty, held.get(r.id)) };
		book.sql.exec(INSERT_POSITION, ...POSITION_COLUMNS.map((c) => row[c]));
	}
	replacePrimaryOrders(book.sql, read.pending.map(primaryOrderJson));
	const asOf = read.sourceTsMs ? new Date(Number(read.sourceTsMs)).toISOString() : new Date().toISOString();
	updateClient(book.sql, { positions_as_of: asOf });
}

/**
 * The first use loads from Postgres; every later one reads SQLite only, after waiting for a
 * reload replication asked for before it (so a read after a batch's 200 sees the batch).
 */
async function ensureLoaded(book: Book, clientId: string): Promise<void> {
	if (clientRow(book.sql).positions_as_of) {
		const r = book.reload;
		const wanted = r.wanted;
		while (r.served < wanted && r.current) await r.current;
		return;
	}
	book.loading ??= loadPositions(book, clientId).finally(() => {
		book.loading = null;
	});
	await book.loading;
}

/**
 * Replication's word that Postgres moved on for this client. An Account that has loaded nothing
 * has nothing to refresh (its first use loads). Otherwise one reload runs at a time, and however
 * many words arrive while it runs, one reload after it serves them all: a busy stream of batches
 * costs a reload per reload time, not one per batch.
 */
export function positionsChanged(book: Book, clientId: string): void {
	if (!clientRow(book.sql).positions_as_of && !book.loading) return;
	book.reload.wanted++;
	if (!book.reload.current) void reloadWhileWanted(book, clientId);
}

async function reloadWhileWanted(book: Book, clientId: string): Promise<void> {
	const r = book.reload;
	while (r.served < r.wanted) {
		const serving = r.wanted;
		r.current = (async () => {
			// A first load still running may have read Postgres before the batch: reload after it.
			if (book.loading) await book.loading.catch(() => {});
			try {
				await reloadAndTell(book, clientId);
			} catch (err) {
				// Postgres stays the truth: the next word (or batch) reloads again.
				await logForClient("positions.reload_failed", clientId, { message: String(err) }, "error");
			}
			r.served = serving;
		})();
		await r.current;
	}
	r.current = null;
}

/** Reloads, then pushes every position that changed (one gone as net quantity 0) to the live sockets. */
async function reloadAndTell(book: Book, clientId: string): Promise<void> {
	if (book.ctx.getWebSockets().length === 0) return loadPositions(book, clientId);
	const shown = () => new Map(openPositionRows(book.sql).map((p) => [p.id, JSON.stringify(positionJson(book.sql, p))]));
	const before = shown();
	await loadPositions(book, clientId);
	const after = shown();
	for (const [id, json] of after) {
		if (before.get(id) !== json) broadcast(book.ctx, { type: "position", position: JSON.parse(json) as Position });
	}
	for (const [id, json] of before) {
		if (!after.has(id))
			broadcast(book.ctx, { type: "position", position: { ...(JSON.parse(json) as Position), netQty: 0, pendingExitQty: 0 } });
	}
}

/** null once the client's data is loaded; the refusal to give when Postgres could not give it. */
export async function unavailable(book: Book, clientId: string): Promise<Refused | null> {
	try {
		await ensureLoaded(book, clientId);
		return null;
	} catch (err) {
		await logForClient("positions.load_failed", clientId, { message: String(err) }, "error");
		return { ok: false, refusal: { code: "POSITIONS_UNAVAILABLE", detail: "positions could not be loaded; try again" } };
	}
}

/** Net quantities of positions this Account has seen fills on (ours or the primary's): a reload must not undo those fills. */
function heldNetQty(sql: SqlStorage): Map<string, number> {
	const rows = sql
		.exec<{ id: string; net_qty: number }>(
			`SELECT p.id, p.net_qty FROM positions p WHERE EXISTS (SELECT 1 FROM orders o WHERE o.position_id = p.id AND o.filled_qty > 0)
			 OR EXISTS (SELECT 1 FROM primary_fills f WHERE f.position_id = p.id)`,
		)
		.toArray();
	return new Map(rows.map((r) => [r.id, r.net_qty]));
}

export const positionRow = (sql: SqlStorage, id: string) => sql.exec<PositionRow>("SELECT * FROM positions WHERE id = ?", id).toArray()[0];

export const openPositionRows = (sql: SqlStorage) =>
	sql.exec<PositionRow>("SELECT * FROM positions WHERE net_qty != 0 ORDER BY symbol").toArray();

/** A primary order's position: the one it names, else the one with its exchange, symbol and product. */
export function positionOf(sql: SqlStorage, o: Order): PositionRow | undefined {
	if (o.positionId) return positionRow(sql, o.positionId);
	return sql
		.exec<PositionRow>("SELECT * FROM positions WHERE exchange = ? AND symbol = ? AND product = ?", o.exchange, o.symbol, o.product)
		.toArray()[0];
}

/**
 * What is already on its way out of a position: the unfilled rest of our live exit orders,
 * and of the primary's pending orders on the exit side (they sit at the exchange and may still
 * fill while the primary is down; exiting that quantity again here could flip the position).
 */
export function pendingExit(sql: SqlStorage, position: PositionRow): number {
	const ours =
		sql
			.exec<{ qty: number | null }>(
				`SELECT SUM(quantity - filled_qty) AS qty FROM orders WHERE position_id = ? AND status IN (${sqlList(OPEN_STATUSES)})`,
				position.id,
			)
			.one().qty ?? 0;
	const side = exitSide(position.net_qty);
	const primary = primaryOrders(sql)
		.filter((o) => o.side === side && !isFinal(o.status) && positionOf(sql, o)?.id === position.id)
		.reduce((n, o) => n + Math.max(0, o.quantity - o.filledQty), 0);
	return ours + primary;
}

export function positionJson(sql: SqlStorage, r: PositionRow): Position {
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
		pendingExitQty: pendingExit(sql, r),
	};
}

export async function listPositions(book: Book, clientId: string): Promise<Outcome<{ asOf: string; positions: Position[] }>> {
	const refused = await unavailable(book, clientId);
	if (refused) return refused;
	const positions = openPositionRows(book.sql).map((r) => positionJson(book.sql, r));
	return { ok: true, asOf: clientRow(book.sql).positions_as_of ?? new Date().toISOString(), positions };
}

/** A fill of `qty` on an order of `side` moves its position by that much (a SELL down, a BUY up). */
export function moveByFill(sql: SqlStorage, positionId: string, side: Side, qty: number): void {
	sql.exec("UPDATE positions SET net_qty = net_qty + ? WHERE id = ?", side === "SELL" ? -qty : qty, positionId);
}

export function broadcastPosition(book: Book, positionId: string): void {
	const p = positionRow(book.sql, positionId);
	if (p) broadcast(book.ctx, { type: "position", position: positionJson(book.sql, p) });
}
