// How our exit orders move: relayed (PENDING -> SENT), acknowledged, filled, rejected, failed,
// cancelled. Transitions only move forward and a repeat changes nothing, since queues and the
// OMS deliver at least once and out of order.
import { isFinal, OPEN_STATUSES, type Order, type OrderStatus, type RelayOutcome, sqlList } from "../../src/contract";
import { toPaise } from "../../src/trading/rules";
import { broadcast } from "./live";
import { orderJson, orderRow } from "./orders";
import { broadcastPosition, moveByFill } from "./positions";
import { primaryOrder, primaryOrders } from "./primary-orders";
import type { Book, OrderRow } from "./schema";

/** Every applied change: version + 1, a record for Postgres, a push to the live sockets. */
export function change(
	book: Book,
	row: OrderRow,
	patch: Partial<Pick<OrderRow, "status" | "reason" | "filled_qty" | "fill_value_paise">>,
	event: { fillQty?: number; fillPrice?: string },
): OrderRow {
	const after: OrderRow = { ...row, ...patch, version: row.version + 1, updated_at: new Date().toISOString() };
	book.sql.exec(
		"UPDATE orders SET status = ?, reason = ?, filled_qty = ?, fill_value_paise = ?, version = ?, updated_at = ? WHERE id = ?",
		after.status,
		after.reason,
		after.filled_qty,
		after.fill_value_paise,
		after.version,
		after.updated_at,
		row.id,
	);
	book.outbox.recordOrder(after, event);
	broadcast(book.ctx, { type: "order", order: orderJson(after) });
	if (after.position_id && (after.filled_qty !== row.filled_qty || isFinal(after.status) !== isFinal(row.status))) {
		broadcastPosition(book, after.position_id);
	}
	return after;
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
 * The relay asks before placing: only PENDING orders go out (the ids returned); from now on
 * a cancel of them must go via the OMS. One call for all of a batch's orders of this client.
 */
export function beginRelay(sql: SqlStorage, orderIds: string[]): string[] {
	const send = orderIds.filter((id) => orderRow(sql, id)?.status === "PENDING");
	for (const id of send) sql.exec("UPDATE orders SET relaying = 1 WHERE id = ?", id);
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

/** What the relay learned about one order; `changed` is false for a duplicate or late outcome. */
export function relayOutcome(book: Book, orderId: string, outcome: RelayOutcome): { changed: boolean; order: Order | null } {
	const row = orderRow(book.sql, orderId);
	if (!row) return { changed: false, order: null };
	let after: OrderRow | null = null;
	switch (outcome.kind) {
		case "sent":
			if (row.status === "PENDING") after = change(book, row, { status: "SENT" }, {});
			if (after) book.outbox.recordAudit("order.sent", row.client_id, { orderId }, "system");
			break;
		case "rejected":
			if (!isFinal(row.status)) after = change(book, row, { status: "REJECTED", reason: outcome.reason }, {});
			if (after) book.outbox.recordAudit("order.rejected", row.client_id, { orderId, reason: outcome.reason }, "system");
			break;
		case "failed":
			if (!isFinal(row.status)) after = change(book, row, { status: "FAILED", reason: outcome.reason }, {});
			if (after) book.outbox.recordAudit("order.failed", row.client_id, { orderId, reason: outcome.reason }, "system");
			break;
	}
	return { changed: after !== null, order: orderJson(after ?? row) };
}

/** An order not yet handed to the OMS is cancelled here; one the OMS may hold is cancelled there. */
export function requestCancel(book: Book, clientId: string, row: OrderRow): Order {
	if (row.cancel_state !== "none") return orderJson(row);
	book.outbox.recordAudit("order.cancel_requested", clientId, { orderId: row.id, status: row.status });
	if (row.status === "PENDING" && row.relaying === 0) {
		return orderJson(change(book, row, { status: "CANCELLED", reason: "cancelled before it was sent" }, {}));
	}
	book.sql.exec("UPDATE orders SET cancel_state = 'requested' WHERE id = ?", row.id);
	return orderJson({ ...row, cancel_state: "requested" });
}

export const liveOrderRows = (sql: SqlStorage) =>
	sql.exec<OrderRow>(`SELECT * FROM orders WHERE status IN (${sqlList(OPEN_STATUSES)}) ORDER BY rowid`).toArray();

/** Our orders, newest first, then the primary's pending orders replicated in. */
export function allOrders(sql: SqlStorage): Order[] {
	const ours = sql.exec<OrderRow>("SELECT * FROM orders ORDER BY rowid DESC").toArray().map(orderJson);
	return [...ours, ...primaryOrders(sql)];
}
