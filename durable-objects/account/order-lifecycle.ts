// How our exit orders move: relayed (PENDING -> SENT), acknowledged, filled, rejected, failed,
// cancelled. Transitions only move forward and a repeat changes nothing, since queues and the
// OMS deliver at least once and out of order.
import {
	assertNever,
	isFinal,
	OPEN_STATUSES,
	OUTCOME_UNKNOWN_REASON,
	type Order,
	type OrderStatus,
	type RelayOutcome,
	sqlList,
} from "../../src/contract";
import { toPaise } from "../../src/trading/rules";
import { broadcast } from "./live";
import { orderJson, orderRow } from "./orders";
import { broadcastPosition, moveByFill } from "./positions";
import { primaryOrder, primaryOrders } from "./primary-orders";
import type { Book, OrderRow } from "./schema";

/** What an order of unknown outcome says while the OMS is asked. */
export const UNKNOWN_REASON = OUTCOME_UNKNOWN_REASON;

/** Every applied change: version + 1, a record for Postgres, a push to the live sockets. */
export function change(
	book: Book,
	row: OrderRow,
	patch: Partial<Pick<OrderRow, "status" | "reason" | "filled_qty" | "fill_value_paise">>,
	event: { fillQty?: number; fillPrice?: string },
): OrderRow {
	const now = new Date().toISOString();
	const ended_at = isFinal(row.status) || !isFinal(patch.status ?? row.status) ? row.ended_at : now;
	const after: OrderRow = { ...row, ...patch, version: row.version + 1, updated_at: now, ended_at };
	book.sql.exec(
		"UPDATE orders SET status = ?, reason = ?, filled_qty = ?, fill_value_paise = ?, version = ?, updated_at = ?, ended_at = ? WHERE id = ?",
		after.status,
		after.reason,
		after.filled_qty,
		after.fill_value_paise,
		after.version,
		after.updated_at,
		after.ended_at,
		row.id,
	);
	book.outbox.recordOrder(after, event);
	broadcast(book.ctx, { type: "order", order: orderJson(after) });
	if (after.position_id && (after.filled_qty !== row.filled_qty || isFinal(after.status) !== isFinal(row.status))) {
		broadcastPosition(book, after.position_id);
	}
	if (after.status !== row.status) settleHedges(book, after);
	return after;
}

const HEDGE_BROKEN: readonly OrderStatus[] = ["REJECTED", "FAILED", "CANCELLED"];

/** Underlyings with a short-side exit (a BUY) still live, from any square-off: their long-side legs wait. */
export function shortExitsLive(sql: SqlStorage): Set<string> {
	const rows = sql
		.exec<{ underlying: string }>(
			`SELECT DISTINCT underlying FROM orders WHERE side = 'BUY' AND held = 0 AND underlying IS NOT NULL AND status IN (${sqlList(OPEN_STATUSES)})`,
		)
		.toArray();
	return new Set(rows.map((r) => r.underlying));
}

/**
 * Exit-all keeps hedges: the long-side legs of an underlying wait (held) until no short-side
 * exit of that underlying is live, whichever square-off it came from, then go out (with the
 * expiry they got when accepted; the alarm fails one that waits past it). If a short-side exit
 * ended REJECTED, FAILED or CANCELLED after a leg was accepted (so the leg waited for it), the
 * leg ends CANCELLED and the hedge stays.
 */
function settleHedges(book: Book, short: OrderRow): void {
	if (short.side !== "BUY" || short.underlying === null || !isFinal(short.status)) return;
	const held = book.sql
		.exec<OrderRow>("SELECT * FROM orders WHERE underlying = ? AND held = 1 AND status = 'PENDING'", short.underlying)
		.toArray();
	if (held.length === 0 || shortExitsLive(book.sql).has(short.underlying)) return;
	const broken = book.sql
		.exec<OrderRow>(
			`SELECT * FROM orders WHERE underlying = ? AND side = 'BUY' AND held = 0 AND status IN (${sqlList(HEDGE_BROKEN)})`,
			short.underlying,
		)
		.toArray();
	for (const leg of held) {
		book.sql.exec("UPDATE orders SET held = 0 WHERE id = ?", leg.id);
		// A short leg this one waited for ended after it was accepted (a late fill moves updated_at, not ended_at).
		const waitedFor = broken.find((o) => (o.ended_at ?? o.updated_at) >= leg.created_at);
		if (waitedFor) {
			const reason = `hedge kept: the short leg ${waitedFor.symbol} ended ${waitedFor.status}, so this long leg was not sent`;
			change(book, { ...leg, held: 0 }, { status: "CANCELLED", reason }, {});
			book.outbox.recordAudit(
				"order.hedge_kept",
				leg.client_id,
				{ orderId: leg.id, shortOrderId: waitedFor.id, shortStatus: waitedFor.status },
				"system",
			);
		} else {
			change(book, { ...leg, held: 0 }, { reason: null }, {});
			book.outbox.ordersWaiting();
		}
	}
}

/**
 * A fill always counts, whatever the status (it happened at the exchange, even after a cancel
 * request or a FAILED relay): it moves the position towards zero. Only a live order's status changes.
 */
export function fill(book: Book, row: OrderRow, qty: number, price: string | undefined): OrderRow | null {
	const q = Math.min(qty, row.quantity - row.filled_qty);
	if (q <= 0) return null;
	const filled = row.filled_qty + q;
	const status: OrderStatus = isFinal(row.status) ? row.status : filled === row.quantity ? "COMPLETE" : "OPEN";
	const pricePaise = price === undefined ? null : toPaise(price);
	if (row.position_id) moveByFill(book.sql, row.position_id, row.side, q);
	return change(
		book,
		row,
		{ status, filled_qty: filled, fill_value_paise: row.fill_value_paise + q * (pricePaise ?? 0) },
		{ fillQty: q, ...(price === undefined ? {} : { fillPrice: price }) },
	);
}

/**
 * The relay asks before placing: the ids it may send now (one call for a batch's orders of this
 * client). PENDING orders go out, and so do orders of unknown outcome (the OMS dedupes by order
 * id); from now on a cancel of them must go via the OMS. Past its expiry an order is never sent:
 * one the OMS cannot hold ends FAILED; one it may hold is left to the checks.
 */
export function beginRelay(book: Book, orderIds: string[], now = Date.now()): string[] {
	const send: string[] = [];
	for (const id of orderIds) {
		const row = orderRow(book.sql, id);
		const unknown = row?.outcome_unknown === 1 && row.status === "SENT";
		if (!row || row.held === 1 || !(row.status === "PENDING" || unknown)) continue;
		// The trader asked to cancel it while it was being placed (a PENDING one is cancelled at once
		// otherwise): never placed now. An earlier attempt may have reached the OMS, so it counts as
		// of unknown outcome: the cancel goes to the OMS, and the check settles it.
		if (row.cancel_state !== "none") {
			if (!unknown) outcomeUnknown(book, row, "cancelled while it was being placed");
			continue;
		}
		if (row.expires_at !== null && Date.parse(row.expires_at) <= now) {
			if (!unknown) expire(book, row);
			continue;
		}
		book.sql.exec("UPDATE orders SET relaying = 1, relay_attempts = relay_attempts + 1 WHERE id = ?", id);
		send.push(id);
	}
	return send;
}

/** Whether a cancel should still go to the OMS: "wait" while the order itself is still being placed. */
export function cancelRelay(sql: SqlStorage, orderId: string): "send" | "skip" | "wait" {
	const row = orderRow(sql, orderId);
	if (!row) {
		const primary = primaryOrder(sql, orderId);
		return primary && !isFinal(primary.status) ? "send" : "skip";
	}
	if (isFinal(row.status)) return "skip";
	return row.status === "PENDING" ? "wait" : "send";
}

/** The OMS may hold it: SENT and counted until the OMS says, asked from its expiry on (outcome-checks.ts). */
function outcomeUnknown(book: Book, row: OrderRow, reason: string): OrderRow {
	book.sql.exec(
		"UPDATE orders SET outcome_unknown = 1, check_after = ? WHERE id = ?",
		Date.parse(row.expires_at ?? row.created_at),
		row.id,
	);
	const after = change(book, { ...row, outcome_unknown: 1 }, { status: "SENT", reason: UNKNOWN_REASON }, {});
	book.outbox.recordAudit("order.outcome_unknown", row.client_id, { orderId: row.id, reason }, "system");
	return after;
}

function expire(book: Book, row: OrderRow): OrderRow {
	book.sql.exec("UPDATE orders SET outcome_unknown = 0, held = 0 WHERE id = ?", row.id);
	book.outbox.recordAudit("order.failed", row.client_id, { orderId: row.id, reason: "expired" }, "system");
	return change(book, { ...row, outcome_unknown: 0, held: 0 }, { status: "FAILED", reason: "expired before it reached the exchange" }, {});
}

/**
 * Long legs still held past their expiry can never be sent: they end FAILED now rather than
 * look live until their short legs end (the alarm's part). When the next one expires (ms), or null.
 */
export function expireHeldLegs(book: Book, now = Date.now()): number | null {
	const held = book.sql.exec<OrderRow>("SELECT * FROM orders WHERE held = 1 AND status = 'PENDING' AND expires_at IS NOT NULL").toArray();
	let next: number | null = null;
	for (const leg of held) {
		const at = Date.parse(leg.expires_at ?? "");
		if (at <= now) expire(book, leg);
		else next = Math.min(next ?? at, at);
	}
	return next;
}

/** What the relay learned about one order; `changed` is false for a duplicate or late outcome. */
export function relayOutcome(book: Book, orderId: string, outcome: RelayOutcome): { changed: boolean; order: Order | null } {
	const row = orderRow(book.sql, orderId);
	if (!row) return { changed: false, order: null };
	let after: OrderRow | null = null;
	switch (outcome.kind) {
		case "sent":
			if (row.status === "PENDING") after = change(book, row, { status: "SENT" }, {});
			else if (row.outcome_unknown === 1 && !isFinal(row.status)) after = change(book, row, { reason: null }, {});
			book.sql.exec("UPDATE orders SET outcome_unknown = 0 WHERE id = ?", orderId);
			if (after?.status === "SENT" && row.status === "PENDING") book.outbox.recordAudit("order.sent", row.client_id, { orderId }, "system");
			break;
		case "unknown":
			if (row.outcome_unknown === 1 || !(row.status === "PENDING" || row.status === "SENT")) break;
			after = outcomeUnknown(book, row, outcome.reason);
			break;
		case "rejected":
			if (!isFinal(row.status)) after = change(book, row, { status: "REJECTED", reason: outcome.reason }, {});
			if (after) book.outbox.recordAudit("order.rejected", row.client_id, { orderId, reason: outcome.reason }, "system");
			break;
		case "gave_up": {
			// Never FAILED on a guess: while the OMS may hold the order, the checks decide.
			if (isFinal(row.status) || row.outcome_unknown === 1) break;
			const reason = `could not be relayed to the OMS after ${row.relay_attempts} attempt(s)`;
			after = change(book, row, { status: "FAILED", reason }, {});
			book.outbox.recordAudit("order.failed", row.client_id, { orderId, reason }, "system");
			break;
		}
		case "expired":
			if (!isFinal(row.status)) after = expire(book, row);
			break;
		default:
			assertNever(outcome);
	}
	return { changed: after !== null, order: orderJson(after ?? orderRow(book.sql, orderId) ?? row) };
}

/** An order not yet handed to the OMS is cancelled here; one the OMS may hold is cancelled there. */
export function requestCancel(book: Book, clientId: string, row: OrderRow, actor = `client:${clientId}`): Order {
	if (row.cancel_state !== "none") return orderJson(row);
	book.outbox.recordAudit("order.cancel_requested", clientId, { orderId: row.id, status: row.status }, actor);
	if (row.status === "PENDING" && row.relaying === 0) {
		return orderJson(change(book, row, { status: "CANCELLED", reason: "cancelled before it was sent" }, {}));
	}
	book.sql.exec("UPDATE orders SET cancel_state = 'requested' WHERE id = ?", row.id);
	return orderJson({ ...row, cancel_state: "requested" });
}

export const liveOrderRows = (sql: SqlStorage) =>
	sql.exec<OrderRow>(`SELECT * FROM orders WHERE status IN (${sqlList(OPEN_STATUSES)}) ORDER BY rowid`).toArray();

/**
 * Our orders accepted since `since` (ISO; "" for all) or still open, newest first, then the
 * primary's pending orders replicated in.
 */
export function ordersSince(sql: SqlStorage, since: string): Order[] {
	const ours = sql
		.exec<OrderRow>(`SELECT * FROM orders WHERE created_at >= ? OR status IN (${sqlList(OPEN_STATUSES)}) ORDER BY rowid DESC`, since)
		.toArray()
		.map(orderJson);
	return [...ours, ...primaryOrders(sql)];
}
