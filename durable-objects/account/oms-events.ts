// What the OMS reports (ACK, FILL, REJECT, CANCELLED), applied once per event id, in the order
// sent. Events about the primary's orders move what we know of those.
import { isFinal, type OmsEvent, type OmsEventResult } from "../../src/contract";
import { STATUS_RANK } from "../../src/trading/rules";
import { broadcast } from "./live";
import { change, fill } from "./order-lifecycle";
import { orderRow } from "./orders";
import { broadcastPosition, moveByFill, positionOf } from "./positions";
import { primaryOrder, recordPrimaryCancelled, recordPrimaryFill } from "./primary-orders";
import type { Book, OrderRow } from "./schema";

const seen = (sql: SqlStorage, eventId: string) => sql.exec("SELECT 1 FROM oms_events WHERE event_id = ?", eventId).toArray().length > 0;
const remember = (sql: SqlStorage, eventId: string) => sql.exec("INSERT INTO oms_events (event_id, at) VALUES (?, ?)", eventId, Date.now());

/** Forgets event ids older than `before` (ms): the OMS does not repeat an event a day later. */
export const expireOmsEvents = (sql: SqlStorage, before: number) => sql.exec("DELETE FROM oms_events WHERE at <= ?", before);

/** One OMS event, applied once (event ids are remembered). Transitions only move forward. */
export function applyOmsEvent(book: Book, ev: OmsEvent): OmsEventResult {
	if (seen(book.sql, ev.eventId)) return "duplicate";
	const row = orderRow(book.sql, ev.orderId);
	if (!row) return applyPrimaryEvent(book, ev);
	remember(book.sql, ev.eventId);
	let after: OrderRow | null = null;
	switch (ev.type) {
		case "ACK":
			if (STATUS_RANK[row.status] < STATUS_RANK.OPEN) after = change(book, row, { status: "OPEN" }, {});
			break;
		case "REJECT":
			if (!isFinal(row.status)) after = change(book, row, { status: "REJECTED", reason: ev.reason ?? "rejected by the OMS" }, {});
			break;
		case "CANCELLED":
			if (!isFinal(row.status)) after = change(book, row, { status: "CANCELLED", reason: ev.reason ?? "cancelled" }, {});
			break;
		case "FILL":
			after = fill(book, row, ev.fillQty ?? 0, ev.fillPrice);
			break;
	}
	return after ? "applied" : "unchanged";
}

/**
 * An event about one of the primary's pending orders. A FILL moves its position at once, as
 * our own fills do (replicated data may have stopped; a reload keeps the fill); a CANCELLED
 * marks it so here until replication says the same. Others change nothing here.
 */
function applyPrimaryEvent(book: Book, ev: OmsEvent): OmsEventResult {
	const primary = primaryOrder(book.sql, ev.orderId);
	if (!primary) return "unknown_order";
	remember(book.sql, ev.eventId);
	const position = positionOf(book.sql, primary);
	if (ev.type === "FILL") {
		const q = Math.min(ev.fillQty ?? 0, primary.quantity - primary.filledQty);
		if (q <= 0) return "unchanged";
		recordPrimaryFill(book.sql, primary, position?.id ?? null, q);
		if (position) moveByFill(book.sql, position.id, primary.side, q);
	} else if (ev.type === "CANCELLED" && !isFinal(primary.status)) {
		recordPrimaryCancelled(book.sql, primary.id);
		// In the outbox for failback: the primary reconciles its own order against this.
		book.outbox.recordAudit("order.primary_cancelled", ev.clientId, { orderId: primary.id, eventId: ev.eventId }, "oms");
	} else return "unchanged";
	const after = primaryOrder(book.sql, primary.id);
	if (after) broadcast(book.ctx, { type: "order", order: after });
	if (position) broadcastPosition(book, position.id);
	return "applied";
}
