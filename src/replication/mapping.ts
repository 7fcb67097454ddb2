// Which of the primary's tables replicate into which of ours, and how their columns are named.
// The default below describes the primary this was built against; a broker whose primary names
// things differently sets the var REPLICATION_MAPPING (same JSON shape) instead of changing code.
import { z } from "zod";

export const TARGETS = ["clients", "instruments", "positions", "orders"] as const;
export type Target = (typeof TARGETS)[number];

const TableMapping = z.object({
	target: z.enum(TARGETS),
	/** The primary's column name -> our field name (the drizzle property in src/db/schema.ts). Unlisted columns are ignored. */
	columns: z.record(z.string(), z.string()),
	/** Our field -> the primary's value -> ours, for coded columns (e.g. status "A" -> "active"). */
	values: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});
export type TableMapping = z.infer<typeof TableMapping>;

/** Keyed by "<schema or db>.<table>" as the change event's `source` names it. */
export const ReplicationMapping = z.record(z.string(), TableMapping);
export type ReplicationMapping = z.infer<typeof ReplicationMapping>;

export const defaultMapping: ReplicationMapping = {
	"primary.client_master": {
		target: "clients",
		columns: {
			client_code: "clientId",
			client_name: "name",
			login_pwd_hash: "passwordHash",
			totp_seed_enc: "totpSeedEnc",
			account_status: "status",
			mobile_no: "mobile",
			email_id: "email",
			notice_opt_out: "noticesOptOut",
		},
		values: {
			status: { A: "active", D: "disabled", S: "disabled" },
			noticesOptOut: { Y: "true", N: "false", true: "true", false: "false", "1": "true", "0": "false" },
		},
	},
	"primary.scrip_master": {
		target: "instruments",
		columns: {
			scrip_id: "id",
			exchange: "exchange",
			segment: "segment",
			trading_symbol: "symbol",
			underlying: "underlying",
			option_type: "optionType",
			lot_size: "lotSize",
			tick_size: "tickSize",
			freeze_qty: "freezeQty",
			lower_circuit: "priceBandLow",
			upper_circuit: "priceBandHigh",
			last_price: "ltp",
		},
	},
	"primary.net_positions": {
		target: "positions",
		columns: {
			position_id: "id",
			client_code: "clientId",
			scrip_id: "instrumentId",
			product_type: "product",
			net_qty: "netQty",
			avg_price: "avgPrice",
		},
	},
	"primary.pending_orders": {
		target: "orders",
		columns: {
			order_no: "id",
			client_code: "clientId",
			exchange: "exchange",
			trading_symbol: "symbol",
			buy_sell: "side",
			order_qty: "quantity",
			filled_qty: "filledQty",
			price_type: "orderType",
			limit_price: "price",
			product_type: "product",
			order_status: "status",
		},
		values: {
			side: { B: "BUY", S: "SELL" },
			orderType: { MKT: "MARKET", L: "LIMIT" },
			status: { "OPEN PENDING": "OPEN", "TRIGGER PENDING": "OPEN", "VALIDATION PENDING": "PENDING" },
		},
	},
};

let cached: { text: string; mapping: ReplicationMapping } | undefined;

/** The var's mapping when set (it replaces the default whole), else the default. A bad var is a deploy error: it throws. */
export function replicationMapping(env: { REPLICATION_MAPPING?: string }): ReplicationMapping {
	const text = env.REPLICATION_MAPPING?.trim() ?? "";
	if (!text) return defaultMapping;
	if (cached?.text !== text) cached = { text, mapping: ReplicationMapping.parse(JSON.parse(text)) };
	return cached.mapping;
}
