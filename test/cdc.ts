// Debezium-shaped change events for the default mapping (src/replication/mapping.ts), and the
// call that posts them. Positions come from one growing counter so no test's events are ever
// older than an earlier test's truncate.
import { call } from "./helpers";

export const syncHeaders = { authorization: "Bearer dev-sync-token", "content-type": "application/json" };

let lastLsn = Date.now() * 1000;
export const nextLsn = () => ++lastLsn;

export type Op = "c" | "u" | "d" | "r" | "t";

export function change(
	table: string,
	op: Op,
	rows: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null },
	opts: { lsn?: number; tsMs?: number; source?: string } = {},
) {
	const tsMs = opts.tsMs ?? Date.now() - 3_600_000;
	return {
		op,
		before: rows.before ?? null,
		after: rows.after ?? null,
		source: {
			version: "3.1.0.Final",
			connector: "postgresql",
			name: opts.source ?? "test",
			db: "broker",
			schema: "primary",
			table,
			ts_ms: tsMs,
			lsn: opts.lsn ?? nextLsn(),
			txId: 1234,
		},
		ts_ms: tsMs + 5,
	};
}

export const clientRow = (clientId: string, status = "A") => ({
	client_code: clientId,
	client_name: `Client ${clientId}`,
	login_pwd_hash: "$pbkdf2-sha256$i=1,l=32$AAAA$BBBB",
	totp_seed_enc: "c2VhbGVk",
	account_status: status,
	branch_code: "MUM01",
});

export const scripRow = (id: string, over: Record<string, unknown> = {}) => ({
	scrip_id: id,
	exchange: "NSE",
	segment: "EQ",
	trading_symbol: `SYM${id}`,
	underlying: `SYM${id}`,
	option_type: null,
	lot_size: 1,
	tick_size: "0.05",
	freeze_qty: null,
	lower_circuit: "80.00",
	upper_circuit: "120.00",
	last_price: "100.00",
	...over,
});

export const positionRow = (id: string, clientId: string, scripId: string, netQty: number, avgPrice = "100.00") => ({
	position_id: id,
	client_code: clientId,
	scrip_id: scripId,
	product_type: "MIS",
	net_qty: netQty,
	avg_price: avgPrice,
	last_modified_by: "rms",
});

export const pendingOrderRow = (orderNo: string, clientId: string, qty = 10) => ({
	order_no: orderNo,
	client_code: clientId,
	exchange: "NSE",
	trading_symbol: "RELIANCE",
	buy_sell: "S",
	order_qty: qty,
	filled_qty: 0,
	price_type: "L",
	limit_price: "2500.50",
	product_type: "MIS",
	order_status: "OPEN PENDING",
});

export function postChanges(events: unknown, headers: Record<string, string> = syncHeaders) {
	return call("/sync/changes", { method: "POST", headers, body: JSON.stringify(events) });
}

export interface ChangesAnswer {
	applied: number;
	skipped: number;
	duplicates: number;
	tombstones: number;
	notified: number;
}

export async function applied(events: unknown): Promise<ChangesAnswer> {
	const res = await postChanges(events);
	if (res.status !== 200) throw new Error(`sync/changes ${res.status}: ${await res.text()}`);
	return (await res.json()) as ChangesAnswer;
}

export { query } from "./helpers";
