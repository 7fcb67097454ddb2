// Our exit orders as stored rows, and the shapes they leave in: the API's Order, the record
// for Postgres, the relay's order for the OMS.
import type { Order, OrderRecord, OrderType, RelayOrder } from "../../src/contract";
import { fromPaise } from "../../src/trading/rules";
import type { OrderRow } from "./schema";

export const orderRow = (sql: SqlStorage, id: string) => sql.exec<OrderRow>("SELECT * FROM orders WHERE id = ?", id).toArray()[0];

/** The API's view of one of our orders, or null. */
export const orderView = (sql: SqlStorage, id: string): Order | null => {
	const row = orderRow(sql, id);
	return row ? orderJson(row) : null;
};

export function orderJson(r: OrderRow): Order {
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

export function orderRecord(r: OrderRow): OrderRecord {
	const avg = r.filled_qty > 0 ? fromPaise(Math.round(r.fill_value_paise / r.filled_qty)) : undefined;
	return { ...orderJson(r), clientId: r.client_id, version: r.version, ...(avg ? { avgFillPrice: avg } : {}) };
}

/** When an order placed from now must be refused by the OMS: MARKET exits expire fast, LIMIT ones later. */
export function expiresAt(env: Env, orderType: OrderType, fromMs = Date.now()): string {
	const ttl = Number(orderType === "MARKET" ? env.MARKET_ORDER_TTL_SECONDS : env.LIMIT_ORDER_TTL_SECONDS);
	return new Date(fromMs + (Number.isFinite(ttl) && ttl > 0 ? ttl : orderType === "MARKET" ? 30 : 300) * 1000).toISOString();
}

export function relayOrder(r: OrderRow): RelayOrder {
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
		// Only held legs have none, and they are not sent: without one, it is already due.
		expiresAt: r.expires_at ?? r.created_at,
	};
}
