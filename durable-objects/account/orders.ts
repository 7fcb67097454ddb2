// Our exit orders as stored rows, and the shapes they leave in: the API's Order, the record
// for Postgres, the relay's order for the OMS.
import type { Order, OrderRecord, RelayOrder } from "../../src/contract";
import { fromPaise } from "../../src/trading/rules";
import type { OrderRow } from "./schema";

export const orderRow = (sql: SqlStorage, id: string) => sql.exec<OrderRow>("SELECT * FROM orders WHERE id = ?", id).toArray()[0];

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
	};
}
