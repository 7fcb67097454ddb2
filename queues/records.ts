// Consumer of the records queue: writes what the Durable Objects and routes produced (order
// snapshots with their events, audit entries) to Postgres, with an outbox row for each, in
// one transaction per batch of at most four statements. Every write is idempotent
// (keyed by order version or entry id), so a redelivered batch changes nothing; an older order
// version never overwrites a newer.
import { sql } from "drizzle-orm";
import { sendAlert } from "../src/observability/alerts";
import { log } from "../src/observability/log";
import { withDb } from "../src/db/client";
import { assertNever, type AuditEntry, type OrderRecord, type RecordEntry, type RecordMessage } from "../src/contract";

type OrderMessage = Extract<RecordEntry, { kind: "order" }>;

/** The entries a batch of messages carries, packed or single. */
const entriesOf = (messages: readonly Message<RecordMessage>[]): RecordEntry[] =>
	messages.flatMap((m) => (m.body.kind === "records" ? m.body.records : [m.body]));

const orderEventId = (order: OrderRecord) => `${order.id}:v${order.version}`;

/** Only the newest version of each order in the batch is upserted (one row may be touched once per statement). */
function newestVersions(orders: OrderMessage[]): OrderRecord[] {
	const newest = new Map<string, OrderRecord>();
	for (const { order } of orders) {
		const seen = newest.get(order.id);
		if (!seen || seen.version < order.version) newest.set(order.id, order);
	}
	return [...newest.values()];
}

/**
 * A batch's rows as one jsonb parameter, read back typed: one statement per table however many
 * rows, and no query building per row. `ord` keeps the batch's order (the outbox's seq follows it).
 */
const rowsOf = (rows: Record<string, unknown>[], columns: string) =>
	sql`(SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows.map((r, ord) => ({ ...r, ord })))}::jsonb) AS input(${sql.raw(columns)}, ord integer) ORDER BY ord)`;

/** Writes a batch in one transaction: at most one statement for each of the four tables. */
export async function writeRecords(env: Env, records: RecordEntry[]): Promise<void> {
	const orders: OrderMessage[] = [];
	const audits: AuditEntry[] = [];
	const outboxRows: { event_id: string; kind: "order" | "order_event" | "audit"; aggregate_id: string; payload: unknown }[] = [];
	for (const r of records) {
		switch (r.kind) {
			case "order":
				orders.push(r);
				outboxRows.push({
					event_id: `order:${orderEventId(r.order)}`,
					kind: r.order.version === 1 ? "order" : "order_event",
					aggregate_id: r.order.id,
					payload: { order: r.order, event: r.event },
				});
				break;
			case "audit":
				audits.push(r.entry);
				outboxRows.push({
					event_id: `audit:${r.entry.id}`,
					kind: "audit",
					aggregate_id: r.entry.clientId ?? r.entry.actor,
					payload: r.entry,
				});
				break;
			default:
				assertNever(r);
		}
	}
	const newest = newestVersions(orders).map((o) => ({
		id: o.id,
		client_id: o.clientId,
		square_off_id: o.squareOffId,
		position_id: o.positionId,
		exchange: o.exchange,
		symbol: o.symbol,
		side: o.side,
		quantity: o.quantity,
		filled_qty: o.filledQty,
		avg_fill_price: o.avgFillPrice ?? null,
		order_type: o.orderType,
		price: o.price ?? null,
		product: o.product,
		status: o.status,
		reason: o.reason ?? null,
		version: o.version,
		created_at: o.createdAt,
		updated_at: o.updatedAt,
	}));
	const versions = orders.map(({ order, event }) => ({
		id: orderEventId(order),
		order_id: order.id,
		version: order.version,
		status: order.status,
		filled_qty: order.filledQty,
		fill_qty: event.fillQty ?? null,
		fill_price: event.fillPrice ?? null,
		reason: order.reason ?? null,
		at: order.updatedAt,
	}));
	const entries = audits.map((e) => ({ id: e.id, at: e.at, client_id: e.clientId, actor: e.actor, action: e.action, detail: e.detail }));
	await withDb(env, undefined, (db) =>
		db.transaction(async (tx) => {
			if (newest.length > 0)
				await tx.execute(sql`
					INSERT INTO orders (id, client_id, origin, square_off_id, position_id, exchange, symbol, side, quantity, filled_qty,
						avg_fill_price, order_type, price, product, status, reason, version, created_at, updated_at)
					SELECT id, client_id, 'backup', square_off_id, position_id, exchange, symbol, side, quantity, filled_qty,
						avg_fill_price, order_type, price, product, status, reason, version, created_at, updated_at
					FROM ${rowsOf(newest, "id text, client_id text, square_off_id text, position_id text, exchange text, symbol text, side text, quantity integer, filled_qty integer, avg_fill_price numeric, order_type text, price numeric, product text, status text, reason text, version integer, created_at timestamptz, updated_at timestamptz")} AS o
					ON CONFLICT (id) DO UPDATE SET filled_qty = excluded.filled_qty, avg_fill_price = excluded.avg_fill_price,
						status = excluded.status, reason = excluded.reason, version = excluded.version, updated_at = excluded.updated_at
					WHERE orders.version < excluded.version`);
			if (versions.length > 0)
				await tx.execute(sql`
					INSERT INTO order_events (id, order_id, version, status, filled_qty, fill_qty, fill_price, reason, at)
					SELECT id, order_id, version, status, filled_qty, fill_qty, fill_price, reason, at
					FROM ${rowsOf(versions, "id text, order_id text, version integer, status text, filled_qty integer, fill_qty integer, fill_price numeric, reason text, at timestamptz")} AS v
					ON CONFLICT DO NOTHING`);
			if (entries.length > 0)
				await tx.execute(sql`
					INSERT INTO audit_log (id, at, client_id, actor, action, detail)
					SELECT id, at, client_id, actor, action, detail
					FROM ${rowsOf(entries, "id text, at timestamptz, client_id text, actor text, action text, detail jsonb")} AS a
					ON CONFLICT DO NOTHING`);
			if (outboxRows.length > 0)
				await tx.execute(sql`
					INSERT INTO outbox (event_id, kind, aggregate_id, payload)
					SELECT event_id, kind, aggregate_id, payload
					FROM ${rowsOf(outboxRows, "event_id text, kind text, aggregate_id text, payload jsonb")} AS r
					ON CONFLICT DO NOTHING`);
		}),
	);
}

/** Backoff for a batch Postgres refused: 2, 4, 8 ... capped at 5 minutes. */
export const recordsRetryDelay = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));

export async function consumeRecords(batch: MessageBatch<RecordMessage>, env: Env): Promise<void> {
	try {
		await writeRecords(env, entriesOf(batch.messages));
	} catch (err) {
		const attempts = Math.max(...batch.messages.map((m) => m.attempts));
		log("records.write_failed", { messages: batch.messages.length, attempts, message: String(err) }, "error");
		batch.retryAll({ delaySeconds: recordsRetryDelay(attempts) });
		return;
	}
	batch.ackAll();
}

/** Records that Postgres refused for every retry: logged whole (so they can be replayed) and ops alerted. */
export async function consumeDeadRecords(batch: MessageBatch<RecordMessage>, env: Env): Promise<void> {
	try {
		await writeRecords(env, entriesOf(batch.messages));
		batch.ackAll();
		return;
	} catch (err) {
		for (const m of batch.messages) log("records.dead_letter", { record: m.body, message: String(err) }, "error");
		await sendAlert(env, {
			event: "records.dead_letter",
			text: `${batch.messages.length} record(s) could not be written to Postgres after every retry; they are in the logs (event records.dead_letter)`,
			detail: { count: batch.messages.length, error: String(err) },
		});
		batch.retryAll({ delaySeconds: 300 });
	}
}
