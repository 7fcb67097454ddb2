// The primary's own pending orders, replicated in with the client's positions: shown with ours,
// counted against what is left to exit, cancellable here through the OMS. What the OMS reports
// about them (fills, cancels) is kept beside the replicated copy, which may lag.
import type { Order } from "../../src/contract";
import type { PrimaryOrderRow } from "../../src/replication/client-rows";
import type { Book } from "./schema";

export function primaryOrderJson(row: PrimaryOrderRow): Order {
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
		product: row.product,
		status: row.status,
		...(row.reason === null ? {} : { reason: row.reason }),
		createdAt: new Date(row.createdAt).toISOString(),
		updatedAt: new Date(row.updatedAt).toISOString(),
	};
}

export function replacePrimaryOrders(sql: SqlStorage, orders: Order[]): void {
	sql.exec("DELETE FROM primary_orders");
	for (const o of orders) sql.exec("INSERT INTO primary_orders VALUES (?, ?)", o.id, JSON.stringify(o));
}

/**
 * The primary's pending orders as replicated, with what the OMS told us since: fills reported
 * here (never fewer than replicated), CANCELLED where it confirmed our cancel.
 */
export function primaryOrders(sql: SqlStorage): Order[] {
	return sql
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

export const primaryOrder = (sql: SqlStorage, id: string) => primaryOrders(sql).find((o) => o.id === id);

/** The primary's order is at the exchange: its cancel always goes to the OMS, once. */
export function requestPrimaryCancel(book: Book, clientId: string, o: Order, actor = `client:${clientId}`): Order {
	const asked = book.sql.exec("INSERT INTO primary_cancels (order_id, state) VALUES (?, 'requested') ON CONFLICT DO NOTHING", o.id);
	if (asked.rowsWritten > 0)
		book.outbox.recordAudit("order.cancel_requested", clientId, { orderId: o.id, status: o.status, origin: "primary" }, actor);
	return o;
}

/** A FILL the OMS reported for one of the primary's orders: counted on top of what replication showed then. */
export function recordPrimaryFill(sql: SqlStorage, o: Order, positionId: string | null, qty: number): void {
	sql.exec(
		`INSERT INTO primary_fills (order_id, position_id, base, qty) VALUES (?, ?, ?, ?)
		 ON CONFLICT (order_id) DO UPDATE SET qty = qty + excluded.qty`,
		o.id,
		positionId,
		o.filledQty,
		qty,
	);
}

/** The OMS confirmed a cancel of the primary's order: it stays CANCELLED here until replication says the same. */
export function recordPrimaryCancelled(sql: SqlStorage, orderId: string): void {
	sql.exec(
		"INSERT INTO primary_cancels (order_id, state) VALUES (?, 'cancelled') ON CONFLICT (order_id) DO UPDATE SET state = 'cancelled'",
		orderId,
	);
}
