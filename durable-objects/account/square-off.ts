// Square-offs: check a request against the positions held here, slice it at the freeze
// quantity, and record its orders as PENDING for the outbox to put on the orders queue.
//
// Why it cannot over-exit: every accept validates and reserves (inserts PENDING orders) with
// synchronous SQLite calls only, so no other request interleaves between the check and the
// write; queue sends come after, and the alarm re-sends whatever a failed send left behind.
import type { Order, OrderType, Outcome, Refusal, Segment, SquareOffRequest } from "../../src/contract";
import { checkExit, exitAllOrder, exitLimits, exitSide, fromPaise, slice, toPaise } from "../../src/trading/rules";
import { beginIdempotent, finishIdempotent, forgetIdempotent } from "./idempotency";
import { expiresAt, orderJson, orderRow } from "./orders";
import { shortExitsLive } from "./order-lifecycle";
import { broadcastPosition, openPositionRows, pendingExit, pendingExits, positionRow, unavailable } from "./positions";
import type { Book, PositionRow } from "./schema";

export type SquareOffOutcome = Outcome<{ squareOffId: string; orders: Order[] }>;

/** `held`: a long-side leg that waits for its underlying's short-side legs (see releaseHedges). */
type PlannedExit = { position: PositionRow; quantity: number; orderType: OrderType; price?: string; held?: boolean };
type Plan = { ok: true; exits: PlannedExit[] } | { ok: false; refusal: Refusal };

export async function squareOff(book: Book, clientId: string, key: string, hash: string, req: SquareOffRequest): Promise<SquareOffOutcome> {
	const early = beginIdempotent<{ squareOffId: string; orders: Order[] }>(book.sql, key, hash);
	if (early) return early;
	const refused = await unavailable(book, clientId);
	if (refused) {
		// Nothing was decided: forget the key so the client can retry with it.
		forgetIdempotent(book.sql, key);
		return refused;
	}
	// From here to finishIdempotent: synchronous storage calls only (see the file comment).
	const planned = req.kind === "one" ? planOne(book.sql, req) : planAll(book.sql, req.segment);
	if (!planned.ok) {
		book.outbox.recordAudit("squareoff.refused", clientId, { code: planned.refusal.code, detail: planned.refusal.detail, request: req });
		const outcome = finishIdempotent(book.sql, key, planned);
		await book.outbox.kick({ orders: false });
		return outcome;
	}
	const squareOffId = crypto.randomUUID();
	const orders = planned.exits.flatMap((e) =>
		slice(e.quantity, e.position.lot_size, e.position.freeze_qty).map((qty) => insertOrder(book, clientId, squareOffId, e, qty)),
	);
	book.outbox.recordAudit("squareoff.accepted", clientId, {
		squareOffId,
		request: req,
		orders: orders.map((o) => ({ id: o.id, positionId: o.positionId, side: o.side, quantity: o.quantity })),
	});
	const outcome = finishIdempotent(book.sql, key, { ok: true, squareOffId, orders });
	for (const e of planned.exits) broadcastPosition(book, e.position.id);
	await book.outbox.kick({ orders: true });
	return outcome;
}

function planOne(sql: SqlStorage, req: Extract<SquareOffRequest, { kind: "one" }>): Plan {
	const position = positionRow(sql, req.positionId);
	if (!position || position.net_qty === 0) {
		return { ok: false, refusal: { code: "POSITION_NOT_FOUND", detail: "no open position with this id" } };
	}
	if (!req.allowUnhedged && position.segment === "OPT" && position.net_qty > 0) {
		const short = sql
			.exec<{ symbol: string }>(
				"SELECT symbol FROM positions WHERE segment = 'OPT' AND underlying = ? AND net_qty < 0 LIMIT 1",
				position.underlying,
			)
			.toArray()[0];
		if (short) {
			return {
				ok: false,
				refusal: {
					code: "WOULD_UNHEDGE",
					detail: `${position.symbol} hedges the open short ${short.symbol}: exit the short first, or send allowUnhedged: true`,
				},
			};
		}
	}
	const pricePaise = req.price === undefined ? undefined : (toPaise(req.price) ?? undefined);
	const available = Math.abs(position.net_qty) - pendingExit(sql, position);
	const check = checkExit(limits(position), available, { quantity: req.quantity, orderType: req.orderType, pricePaise });
	if (!check.ok) return check;
	const price = pricePaise === undefined ? undefined : fromPaise(pricePaise);
	return { ok: true, exits: [{ position, quantity: check.quantity, orderType: req.orderType, price }] };
}

function planAll(sql: SqlStorage, segment: Segment | undefined): Plan {
	const pending = pendingExits(sql);
	const exits = exitAllOrder(openPositionRows(sql).map((r) => ({ ...r, netQty: r.net_qty })))
		.filter((r) => !segment || r.segment === segment)
		.map((position) => ({ position, quantity: Math.abs(position.net_qty) - (pending.get(position.id) ?? 0), orderType: "MARKET" as const }))
		// A partly exited F&O position exits its whole lots; an odd remainder cannot be sent.
		.map((e) => ({ ...e, quantity: e.quantity - (e.quantity % e.position.lot_size) }))
		.filter((e) => e.quantity > 0);
	// Shorts before the longs that hedge them: a long-side leg waits while its underlying has
	// short-side legs, this request's or any still live from before.
	const shorted = shortExitsLive(sql);
	for (const e of exits) if (e.position.net_qty < 0) shorted.add(e.position.underlying);
	for (const e of exits) Object.assign(e, { held: e.position.net_qty > 0 && shorted.has(e.position.underlying) });
	if (exits.length === 0) return { ok: false, refusal: { code: "NOTHING_TO_EXIT", detail: "no open quantity left to exit" } };
	return { ok: true, exits };
}

function limits(p: PositionRow) {
	return exitLimits({
		segment: p.segment,
		lotSize: p.lot_size,
		tickSize: p.tick_size,
		priceBandLow: p.band_low,
		priceBandHigh: p.band_high,
	});
}

function insertOrder(book: Book, clientId: string, squareOffId: string, e: PlannedExit, quantity: number): Order {
	const p = e.position;
	const id = crypto.randomUUID();
	const now = new Date().toISOString();
	const protection = e.orderType === "MARKET" ? Number(book.env.MARKET_PROTECTION_PCT) : null;
	book.sql.exec(
		`INSERT INTO orders (id, client_id, square_off_id, position_id, exchange, symbol, side, quantity, order_type, price, product,
			market_protection, status, reason, version, created_at, updated_at, underlying, held, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, 1, ?, ?, ?, ?, ?)`,
		id,
		clientId,
		squareOffId,
		p.id,
		p.exchange,
		p.symbol,
		exitSide(p.net_qty),
		quantity,
		e.orderType,
		e.price ?? null,
		p.product,
		protection,
		e.held ? `waiting for the short legs of ${p.underlying} to complete first` : null,
		now,
		now,
		p.underlying,
		e.held ? 1 : 0,
		expiresAt(book.env, e.orderType, Date.parse(now)),
	);
	const row = orderRow(book.sql, id);
	if (!row) throw new Error(`order ${id} was not stored`);
	book.outbox.recordOrder(row, {});
	return orderJson(row);
}
