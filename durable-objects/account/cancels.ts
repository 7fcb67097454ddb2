// Trader cancels: one order, or every live one (ours and the primary's). Allowed in standby too:
// they only ever reduce what is in the market.
import { isFinal, type Order, type OrderStatus, type Outcome, type Refused } from "../../src/contract";
import { beginIdempotent, finishIdempotent } from "./idempotency";
import { liveOrderRows, requestCancel } from "./order-lifecycle";
import { orderRow } from "./orders";
import { primaryOrder, primaryOrders, requestPrimaryCancel } from "./primary-orders";
import type { Book } from "./schema";

export async function cancelOrder(
	book: Book,
	clientId: string,
	key: string,
	hash: string,
	orderId: string,
): Promise<Outcome<{ order: Order }>> {
	const early = beginIdempotent<{ order: Order }>(book.sql, key, hash);
	if (early) return early;
	const outcome = finishIdempotent(book.sql, key, cancelOne(book, clientId, orderId));
	await book.outbox.kick({ orders: true });
	return outcome;
}

export async function cancelAll(book: Book, clientId: string, key: string, hash: string): Promise<Outcome<{ orders: Order[] }>> {
	const early = beginIdempotent<{ orders: Order[] }>(book.sql, key, hash);
	if (early) return early;
	const ours = liveOrderRows(book.sql).map((o) => requestCancel(book, clientId, o));
	const primary = primaryOrders(book.sql)
		.filter((o) => !isFinal(o.status))
		.map((o) => requestPrimaryCancel(book, clientId, o));
	const outcome = finishIdempotent(book.sql, key, { ok: true, orders: [...ours, ...primary] });
	await book.outbox.kick({ orders: true });
	return outcome;
}

const notCancellable = (status: OrderStatus): Refused => ({
	ok: false,
	refusal: { code: "ORDER_NOT_CANCELLABLE", detail: `the order is already ${status}` },
});

function cancelOne(book: Book, clientId: string, orderId: string): Outcome<{ order: Order }> {
	const row = orderRow(book.sql, orderId);
	if (row) return isFinal(row.status) ? notCancellable(row.status) : { ok: true, order: requestCancel(book, clientId, row) };
	const primary = primaryOrder(book.sql, orderId);
	if (!primary) return { ok: false, refusal: { code: "ORDER_NOT_FOUND", detail: "no order with this id" } };
	return isFinal(primary.status) ? notCancellable(primary.status) : { ok: true, order: requestPrimaryCancel(book, clientId, primary) };
}
