// The client's positions: loaded from Postgres once (with the primary's pending orders), then
// kept here and moved by fills, so the hot path runs no query. What is left to exit is the
// open quantity minus what live exit orders (ours and the primary's) already cover.
import { isFinal, OPEN_STATUSES, type Order, type Outcome, type Position, type Refused, type Side, sqlList } from "../../src/contract";
import { withDb } from "../../src/db/client";
import { type ClientRows, POSITION_COLUMNS, registeringClientRows, seesAllOf } from "../../src/replication/client-rows";
import { logForClient } from "../../src/observability/log";
import { exitSide } from "../../src/trading/rules";
import { broadcast } from "./live";
import { primaryOrderJson, primaryOrders, replacePrimaryOrders } from "./primary-orders";
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

const INSERT_POSITION = `INSERT INTO positions (${POSITION_COLUMNS.join(", ")}) VALUES (${POSITION_COLUMNS.map(() => "?").join(", ")})`;

/**
 * Rows that look older than those held are refused however late they come (a call past its
 * bound still runs). Only rows Postgres read this long after those held may win without
 * looking newer: after a database restore, transaction ids go back.
 */
const OLDER_ROWS_WINDOW_MS = 30_000;

/**
 * Reads the client's rows from Postgres (first use, or asked to reload) in one statement that
 * also registers the Account as a listener of replication; one more only the first time it
 * registers, since a batch committed between that statement's snapshot and its registration
 * would tell nobody.
 */
async function readClientRows(book: Book, clientId: string): Promise<ClientRows> {
	return withDb(book.env, `account:${clientId}`, async (db) => {
		const readRows = async () => (await db.execute<ClientRows & { registered: boolean }>(registeringClientRows(clientId))).rows[0]!;
		const first = await readRows();
		return first.registered ? readRows() : first;
	});
}

/**
 * Replaces the client's positions and the primary's pending orders with `rows`, unless rows
 * read in a newer snapshot are already held; pushes every position that changed (one gone as
 * net quantity 0) to the live sockets.
 */
function applyClientRows(book: Book, rows: ClientRows): void {
	const held = clientRow(book.sql);
	const readLongAfter = rows.readAtMs - (held.positions_read_at ?? 0) > OLDER_ROWS_WINDOW_MS;
	if (held.positions_snapshot && !readLongAfter && !seesAllOf(rows.snapshot, held.positions_snapshot)) return;
	// A first load changes nothing a socket was shown.
	const watched = held.positions_as_of !== null && book.ctx.getWebSockets().length > 0;
	const shown = () => new Map(openPositionsJson(book.sql).map((p) => [p.id, JSON.stringify(p)]));
	const before = watched ? shown() : new Map<string, string>();
	const filled = heldNetQty(book.sql);
	book.sql.exec("DELETE FROM positions");
	for (const r of rows.positions) {
		const row: PositionRow = { ...r, net_qty: reloadedNetQty(r.net_qty, filled.get(r.id)) };
		book.sql.exec(INSERT_POSITION, ...POSITION_COLUMNS.map((c) => row[c]));
	}
	replacePrimaryOrders(book.sql, rows.pending.map(primaryOrderJson));
	updateClient(book.sql, {
		positions_as_of: rows.sourceTsMs ? new Date(Number(rows.sourceTsMs)).toISOString() : new Date().toISOString(),
		positions_snapshot: rows.snapshot,
		positions_read_at: rows.readAtMs,
	});
	if (!watched) return;
	const after = shown();
	for (const [id, json] of after) {
		if (before.get(id) !== json) broadcast(book.ctx, { type: "position", position: JSON.parse(json) as Position });
	}
	for (const [id, json] of before) {
		if (!after.has(id))
			broadcast(book.ctx, { type: "position", position: { ...(JSON.parse(json) as Position), netQty: 0, pendingExitQty: 0 } });
	}
}

/** Reads the client's rows from Postgres and takes them (unless newer ones came meanwhile). */
async function loadPositions(book: Book, clientId: string): Promise<void> {
	updateClient(book.sql, { client_id: clientId });
	applyClientRows(book, await readClientRows(book, clientId));
}

/** Starts a load, as the one replication's rows wait for (see positionsReplicated). */
function startLoad(book: Book, clientId: string): Promise<void> {
	const running = loadPositions(book, clientId).finally(() => {
		if (book.loading === running) book.loading = null;
	});
	book.loading = running;
	return running;
}

/** The first use loads from Postgres (once, however many ask at once); every later one reads SQLite only. */
async function ensureLoaded(book: Book, clientId: string): Promise<void> {
	if (clientRow(book.sql).positions_as_of) return;
	await (book.loading ?? startLoad(book, clientId));
}

/** Reads the client's rows from Postgres again, after any load already running. */
export async function reloadPositions(book: Book, clientId: string): Promise<void> {
	if (book.loading) await book.loading.catch(() => {});
	await startLoad(book, clientId);
}

/**
 * Replication's rows for this client, read after a batch that touched it committed. An Account
 * that has loaded nothing has nothing to refresh (its first use loads); one loading now takes
 * them after its load, if they are newer. Taken before this returns, so a read after the
 * batch's 200 sees the batch.
 */
export async function positionsReplicated(book: Book, rows: ClientRows): Promise<void> {
	if (book.loading) await book.loading.catch(() => {});
	if (!clientRow(book.sql).positions_as_of) return;
	applyClientRows(book, rows);
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
 * What is already on its way out of each position: the unfilled rest of our live exit orders,
 * and of the primary's pending orders on the exit side (they sit at the exchange and may still
 * fill while the primary is down; exiting that quantity again here could flip the position).
 * All positions at once: a query for ours and one pass over the primary's orders.
 */
export function pendingExits(sql: SqlStorage): Map<string, number> {
	const pending = new Map<string, number>();
	const add = (positionId: string, qty: number) => pending.set(positionId, (pending.get(positionId) ?? 0) + qty);
	const ours = sql.exec<{ position_id: string; qty: number }>(
		`SELECT position_id, SUM(quantity - filled_qty) AS qty FROM orders
		 WHERE position_id IS NOT NULL AND status IN (${sqlList(OPEN_STATUSES)}) GROUP BY position_id`,
	);
	for (const r of ours) add(r.position_id, r.qty);
	for (const o of primaryOrders(sql)) {
		if (isFinal(o.status)) continue;
		const position = positionOf(sql, o);
		if (position && o.side === exitSide(position.net_qty)) add(position.id, Math.max(0, o.quantity - o.filledQty));
	}
	return pending;
}

export const pendingExit = (sql: SqlStorage, position: PositionRow) => pendingExits(sql).get(position.id) ?? 0;

/** A position as the API shows it, with what is already on its way out of it (pendingExits). */
export function positionJson(r: PositionRow, pendingExitQty: number): Position {
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
		pendingExitQty,
	};
}

function openPositionsJson(sql: SqlStorage): Position[] {
	const pending = pendingExits(sql);
	return openPositionRows(sql).map((r) => positionJson(r, pending.get(r.id) ?? 0));
}

export async function listPositions(book: Book, clientId: string): Promise<Outcome<{ asOf: string; positions: Position[] }>> {
	const refused = await unavailable(book, clientId);
	if (refused) return refused;
	const positions = openPositionsJson(book.sql);
	return { ok: true, asOf: clientRow(book.sql).positions_as_of ?? new Date().toISOString(), positions };
}

/** A fill of `qty` on an order of `side` moves its position by that much (a SELL down, a BUY up). */
export function moveByFill(sql: SqlStorage, positionId: string, side: Side, qty: number): void {
	sql.exec("UPDATE positions SET net_qty = net_qty + ? WHERE id = ?", side === "SELL" ? -qty : qty, positionId);
}

export function broadcastPosition(book: Book, positionId: string): void {
	// What is on its way out is worked out for every position: only when a socket will show it.
	if (book.ctx.getWebSockets().length === 0) return;
	const p = positionRow(book.sql, positionId);
	if (p) broadcast(book.ctx, { type: "position", position: positionJson(p, pendingExit(book.sql, p)) });
}
