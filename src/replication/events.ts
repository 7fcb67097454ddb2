// Debezium change events in, validated and mapped to our tables before anything touches
// Postgres: a batch with one bad event is refused whole, naming the event.
import { z } from "zod";
import { Problem } from "../http/problem";
import type { ReplicationMapping, Target } from "./mapping";

export const MAX_EVENTS_PER_BATCH = 1000;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;

const Lsn = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/, "must be a non-negative integer")]);
const Row = z.record(z.string(), z.unknown());

const Source = z.looseObject({
	name: z.string().optional(),
	db: z.string().optional(),
	schema: z.string().optional(),
	table: z.string().min(1),
	ts_ms: z.number().int().nonnegative().optional(),
	/** Postgres connectors. */
	lsn: Lsn.nullish(),
	/** MySQL connectors: binlog file name and offset in it. */
	file: z.string().nullish(),
	pos: z.number().int().nonnegative().nullish(),
});

const Envelope = z.looseObject({
	op: z.enum(["c", "u", "d", "r", "t"]),
	before: Row.nullish(),
	after: Row.nullish(),
	source: Source,
	ts_ms: z.number().int().nonnegative().optional(),
});
type Envelope = z.infer<typeof Envelope>;

/** Identifiers and names; a primary with numeric ids gets them as text. */
const text = z.union([z.string(), z.number().int()]).transform(String).pipe(z.string().min(1).max(200));
const price = z.union([z.number().finite(), z.string().regex(/^-?\d{1,12}(\.\d{1,8})?$/, "must be a decimal")]).transform((v) => String(v));
const qty = z.number().int().min(-1e9).max(1e9);
const contact = z
	.union([z.string().max(254), z.number().int()])
	.nullable()
	.transform((v) => (v === null || String(v).trim() === "" ? null : String(v).trim()))
	.optional();

/** What each target row must look like after mapping. Optional fields left out keep their current value (or the column's default). */
const rowSchemas = {
	clients: z.object({
		clientId: text,
		name: text,
		passwordHash: z.string().min(1),
		totpSeedEnc: z.string().min(1),
		status: z.enum(["active", "disabled"]).optional(),
		// Contacts for notices, kept as the primary has them (the broker's gateway formats and checks them); blank = none.
		mobile: contact,
		email: contact,
		/** Coded values are mapped to "true"/"false" first (mapping.ts); null counts as not opted out. */
		noticesOptOut: z
			.union([z.boolean(), z.enum(["true", "false"])])
			.nullable()
			.transform((v) => v === true || v === "true")
			.optional(),
	}),
	instruments: z.object({
		id: text,
		exchange: text,
		segment: z.enum(["EQ", "FUT", "OPT"]),
		symbol: text,
		underlying: text,
		optionType: z.enum(["CE", "PE"]).nullish(),
		lotSize: qty.positive(),
		tickSize: price,
		freezeQty: qty.positive().nullish(),
		priceBandLow: price.nullish(),
		priceBandHigh: price.nullish(),
		ltp: price.nullish(),
	}),
	positions: z.object({
		id: text,
		clientId: text,
		instrumentId: text,
		product: z.enum(["MIS", "NRML", "CNC", "MTF"]),
		netQty: qty,
		avgPrice: price,
	}),
	orders: z.object({
		id: text,
		clientId: text,
		exchange: text,
		symbol: text,
		side: z.enum(["BUY", "SELL"]),
		quantity: qty.positive(),
		filledQty: qty.nonnegative().optional(),
		orderType: z.enum(["MARKET", "LIMIT"]),
		price: price.nullish(),
		product: text,
		status: text,
	}),
} satisfies Record<Target, z.ZodType>;

/** The field that identifies a row of each target. */
export const keyField: Record<Target, string> = { clients: "clientId", instruments: "id", positions: "id", orders: "id" };

interface ChangeBase {
	index: number;
	target: Target;
	/** Where the change sits in the primary's log; only ever grows for one row. */
	lsn: bigint;
	sourceName: string;
	sourceTsMs: number | null;
}
export type Change =
	| (ChangeBase & { kind: "upsert"; key: string; row: Record<string, unknown> })
	| (ChangeBase & { kind: "delete"; key: string })
	| (ChangeBase & { kind: "truncate" })
	| { index: number; kind: "tombstone" };

const invalid = (index: number, what: string) => new Problem(400, "INVALID_CHANGE_EVENT", `event ${index}: ${what}`, { event: index });

function describe(error: z.ZodError, prefix: string, columnOf: (field: string) => string) {
	const issue = error.issues[0];
	const path = issue?.path.map((p, i) => (i === 0 ? columnOf(String(p)) : String(p))).join(".");
	return `${prefix}${path ? `${path}: ` : ""}${issue?.message ?? "invalid"}`;
}

/** A numeric log position: the Postgres LSN, or for MySQL the binlog file number and offset (file << 32 | pos). */
function position(source: Envelope["source"]): bigint | null {
	if (source.lsn != null) return BigInt(source.lsn);
	const fileNo = source.file?.match(/(\d+)$/)?.[1];
	if (fileNo && source.pos != null) return (BigInt(fileNo) << 32n) | BigInt(source.pos);
	return null;
}

function mapRow(raw: Record<string, unknown>, mapping: ReplicationMapping[string]) {
	const row: Record<string, unknown> = {};
	for (const [column, value] of Object.entries(raw)) {
		const field = mapping.columns[column];
		if (!field) continue;
		const coded = mapping.values?.[field];
		row[field] = coded && value != null && String(value) in coded ? coded[String(value)] : value;
	}
	return row;
}

/** Validates one batch (a JSON array, or one bare event) and maps it; throws the Problem that names the first bad event. */
export function parseChanges(body: unknown, mapping: ReplicationMapping): Change[] {
	const list = Array.isArray(body) ? body : [body];
	if (list.length > MAX_EVENTS_PER_BATCH) {
		throw new Problem(413, "BATCH_TOO_LARGE", `at most ${MAX_EVENTS_PER_BATCH} events per batch, got ${list.length}`);
	}
	return list.map((item, index): Change => {
		// Kafka-style tombstones (a null value after a delete) carry nothing to apply.
		if (item === null) return { index, kind: "tombstone" };
		// Debezium's JSON converter with schemas on wraps the envelope in { schema, payload }.
		const unwrapped = typeof item === "object" && "payload" in item ? item.payload : item;
		if (unwrapped === null) return { index, kind: "tombstone" };
		const parsed = Envelope.safeParse(unwrapped);
		if (!parsed.success)
			throw invalid(
				index,
				describe(parsed.error, "", (f) => f),
			);
		const event = parsed.data;
		const source = event.source;
		const table = `${source.schema ?? source.db ?? ""}.${source.table}`;
		const tableMapping = mapping[table];
		if (!tableMapping) {
			throw new Problem(422, "UNKNOWN_TABLE", `event ${index}: table ${table} is not replicated`, { event: index, table });
		}
		const lsn = position(source);
		if (lsn === null) throw invalid(index, "source has no log position (lsn, or file and pos)");
		const target = tableMapping.target;
		const base = { index, target, lsn, sourceName: source.name ?? "default", sourceTsMs: source.ts_ms ?? event.ts_ms ?? null };
		if (event.op === "t") return { ...base, kind: "truncate" };

		const columnOf = (field: string) => Object.entries(tableMapping.columns).find(([, f]) => f === field)?.[0] ?? field;
		const image = event.op === "d" ? "before" : "after";
		const raw = event[image];
		if (!raw) throw invalid(index, `op "${event.op}" needs "${image}"`);
		const row = mapRow(raw, tableMapping);
		const key = row[keyField[target]];
		if (typeof key !== "string" && typeof key !== "number")
			throw invalid(index, `${image}.${columnOf(keyField[target])}: the row's key is missing`);
		if (event.op === "d") return { ...base, kind: "delete", key: String(key) };
		const checked = rowSchemas[target].safeParse(row);
		if (!checked.success) throw invalid(index, describe(checked.error, `${image}.`, columnOf));
		return { ...base, kind: "upsert", key: String(key), row: checked.data };
	});
}
