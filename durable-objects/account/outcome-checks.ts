// Orders of unknown outcome: an attempt to place them got no definite answer, so the OMS may
// hold them. They keep counting against their position (SENT) until the OMS says what it holds
// (`GET {OMS_URL}/orders/{id}`, asked through the orders queue from the order's expiry on, and
// again every OMS_CHECK_EVERY_SECONDS while it cannot answer). Only the OMS's word ends them.
import type { OmsLookup } from "../../src/contract";
import { STATUS_RANK } from "../../src/trading/rules";
import { change, fill } from "./order-lifecycle";
import { orderRow } from "./orders";
import type { Book, OrderRow } from "./schema";

/** Orders whose check is due (the outbox sends one message each, then waits `everyMs`). */
export function checksDue(sql: SqlStorage, everyMs: number, now = Date.now()): OrderRow[] {
	const due = sql
		.exec<OrderRow>(
			"SELECT * FROM orders WHERE outcome_unknown = 1 AND status = 'SENT' AND check_after IS NOT NULL AND check_after <= ?",
			now,
		)
		.toArray();
	for (const o of due) sql.exec("UPDATE orders SET check_after = ? WHERE id = ?", now + everyMs, o.id);
	return due;
}

/**
 * What the OMS said of an order of unknown outcome: adopted (forward only), or, if it never had
 * it and it has expired, CANCELLED when the trader had cancelled it, else FAILED.
 */
export function settleLookup(book: Book, orderId: string, lookup: OmsLookup, now = Date.now()): void {
	const row = orderRow(book.sql, orderId);
	if (row?.outcome_unknown !== 1 || row.status !== "SENT") return;
	if (!lookup.found) {
		// Before its expiry the relay may still place it; after, the OMS refuses it: it can never reach the exchange.
		if (row.expires_at !== null && Date.parse(row.expires_at) > now) return;
		book.sql.exec("UPDATE orders SET outcome_unknown = 0 WHERE id = ?", orderId);
		if (row.cancel_state !== "none") {
			// The trader cancelled it, and it never reached the OMS: cancelled is what happened.
			change(book, { ...row, outcome_unknown: 0 }, { status: "CANCELLED", reason: "cancelled before it reached the exchange" }, {});
			return;
		}
		const reason = "expired before it reached the exchange (the OMS confirmed it never had it)";
		change(book, { ...row, outcome_unknown: 0 }, { status: "FAILED", reason }, {});
		book.outbox.recordAudit("order.failed", row.client_id, { orderId, reason: "expired, not at the OMS" }, "system");
		return;
	}
	book.sql.exec("UPDATE orders SET outcome_unknown = 0 WHERE id = ?", orderId);
	let current: OrderRow = change(book, { ...row, outcome_unknown: 0 }, { reason: null }, {});
	if (STATUS_RANK[current.status] < STATUS_RANK.OPEN && lookup.status !== "REJECTED")
		current = change(book, current, { status: "OPEN" }, {});
	if (lookup.filledQty > current.filled_qty)
		current = fill(book, current, lookup.filledQty - current.filled_qty, lookup.avgPrice) ?? current;
	if (lookup.status === "REJECTED") change(book, current, { status: "REJECTED", reason: lookup.reason ?? "rejected by the OMS" }, {});
	else if (lookup.status === "CANCELLED" && current.status !== "COMPLETE")
		change(book, current, { status: "CANCELLED", reason: lookup.reason ?? "cancelled" }, {});
}
