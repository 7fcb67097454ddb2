// A client's replicated rows as its Account holds them: open positions with their instruments'
// terms, the primary's pending orders, the data's time, and the Postgres snapshot they were read
// in. The Account reads them itself on first use; after a batch, replication reads them for
// every listening Account it touched and hands them over, so a busy stream costs no Account a
// connection of its own.
import { type SQL, sql } from "drizzle-orm";
import { FINAL_STATUSES, type Product, type Segment, sqlList } from "../contract";
import { schema } from "../db/client";

const { positions, instruments, orders } = schema;

/** A position with its instrument's terms, keyed and ordered as the Account's positions table. */
export type ReplicatedPosition = {
	id: string;
	exchange: string;
	segment: Segment;
	symbol: string;
	underlying: string;
	product: Product;
	net_qty: number;
	avg_price: string;
	ltp: string | null;
	lot_size: number;
	tick_size: string;
	freeze_qty: number | null;
	band_low: string | null;
	band_high: string | null;
};

/** A pending order of the primary as read from Postgres (prices and times as its text). */
export type PrimaryOrderRow = Pick<
	typeof schema.orders.$inferSelect,
	"id" | "positionId" | "exchange" | "symbol" | "side" | "quantity" | "filledQty" | "orderType" | "price" | "product" | "status" | "reason"
> & { createdAt: string; updatedAt: string };

export type ClientRows = {
	clientId: string;
	/** pg_current_snapshot() of the read, as text: which of two reads is newer (seesAllOf). */
	snapshot: string;
	/** When Postgres read them (ms since the epoch, its clock). */
	readAtMs: number;
	/** The newest source time replication has applied (ms, as Postgres' bigint text). */
	sourceTsMs: string | null;
	positions: ReplicatedPosition[];
	pending: PrimaryOrderRow[];
};

const POSITION_FIELDS = {
	id: positions.id,
	exchange: instruments.exchange,
	segment: instruments.segment,
	symbol: instruments.symbol,
	underlying: instruments.underlying,
	product: positions.product,
	net_qty: positions.netQty,
	avg_price: sql`${positions.avgPrice}::text`,
	ltp: sql`${instruments.ltp}::text`,
	lot_size: instruments.lotSize,
	tick_size: sql`${instruments.tickSize}::text`,
	freeze_qty: instruments.freezeQty,
	band_low: sql`${instruments.priceBandLow}::text`,
	band_high: sql`${instruments.priceBandHigh}::text`,
} satisfies Record<keyof ReplicatedPosition, unknown>;

/** The columns of a position row, in the order of the Account's positions table. */
export const POSITION_COLUMNS = Object.keys(POSITION_FIELDS) as (keyof ReplicatedPosition)[];

const PENDING_ORDER_FIELDS = {
	id: orders.id,
	positionId: orders.positionId,
	exchange: orders.exchange,
	symbol: orders.symbol,
	side: orders.side,
	quantity: orders.quantity,
	filledQty: orders.filledQty,
	orderType: orders.orderType,
	price: sql`${orders.price}::text`,
	product: orders.product,
	status: orders.status,
	reason: orders.reason,
	createdAt: orders.createdAt,
	updatedAt: orders.updatedAt,
} satisfies Record<keyof PrimaryOrderRow, unknown>;

const jsonObject = (fields: Record<string, unknown>) =>
	sql`json_build_object(${sql.join(
		Object.entries(fields).map(([k, v]) => sql`${k}::text, ${v}`),
		sql`, `,
	)})`;

/**
 * The rows of each client a query of client ids names (one column), one result row per client
 * in client id order.
 * Prices come as Postgres text, as the query builder would give them.
 */
export const clientRowsOf = (clientIds: SQL) => sql`
	SELECT
		c.client_id AS "clientId",
		pg_current_snapshot()::text AS "snapshot",
		(extract(epoch FROM statement_timestamp()) * 1000)::float8 AS "readAtMs",
		(SELECT max(${schema.replicationCursor.sourceTsMs}) FROM ${schema.replicationCursor}) AS "sourceTsMs",
		(SELECT coalesce(json_agg(${jsonObject(POSITION_FIELDS)}), '[]') FROM ${positions}
			JOIN ${instruments} ON ${instruments.id} = ${positions.instrumentId}
			WHERE ${positions.clientId} = c.client_id AND ${positions.netQty} <> 0) AS "positions",
		(SELECT coalesce(json_agg(${jsonObject(PENDING_ORDER_FIELDS)}), '[]') FROM ${orders}
			WHERE ${orders.clientId} = c.client_id AND ${orders.origin} = 'primary'
			AND ${orders.status} NOT IN (${sql.raw(sqlList(FINAL_STATUSES))})) AS "pending"
	FROM (${clientIds}) AS c(client_id)
	ORDER BY c.client_id`;

/** The client's rows, registering its Account as a listener of replication (`registered`: it was not yet). */
export const registeringClientRows = (clientId: string) => sql`
	WITH registered AS (
		INSERT INTO ${schema.replicationListeners} (client_id) VALUES (${clientId}) ON CONFLICT DO NOTHING RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM registered) AS "registered", r.*
	FROM (${clientRowsOf(sql`SELECT ${clientId}::text`)}) r`;

function parseSnapshot(text: string): { xmax: bigint; inProgress: bigint[] } {
	const [, xmax, xip] = text.split(":");
	return { xmax: BigInt(xmax ?? "0"), inProgress: xip ? xip.split(",").map(BigInt) : [] };
}

/**
 * Whether a read in snapshot `later` sees every transaction a read in `earlier` saw (pg_snapshot
 * text, xmin:xmax:in-progress). A snapshot taken after another always does; one taken before
 * sees less unless nothing committed in between.
 */
export function seesAllOf(later: string, earlier: string): boolean {
	const l = parseSnapshot(later);
	const e = parseSnapshot(earlier);
	if (l.xmax < e.xmax) return false;
	const unseenByEarlier = new Set(e.inProgress);
	return l.inProgress.every((x) => x >= e.xmax || unseenByEarlier.has(x));
}
