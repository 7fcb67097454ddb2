// Consumer of the records queue: writes what the Durable Objects and routes produced (order
// snapshots with their events, audit entries) to Postgres, with an outbox row for each, in
// one transaction per batch of a few multi-row statements. Every write is idempotent
// (keyed by order version or entry id), so a redelivered batch changes nothing; an older order
// version never overwrites a newer.
import { sql } from "drizzle-orm";
import { sendAlert } from "../src/observability/alerts";
import { log } from "../src/observability/log";
import { schema, withDb } from "../src/db/client";
import { assertNever, type AuditEntry, type OrderRecord, type RecordEntry, type RecordMessage } from "../src/contract";

type OrderMessage = Extract<RecordEntry, { kind: "order" }>;

/** The entries a batch of messages carries, packed or single. */
const entriesOf = (messages: readonly Message<RecordMessage>[]): RecordEntry[] =>
	messages.flatMap((m) => (m.body.kind === "records" ? m.body.records : [m.body]));

function orderRow(order: OrderRecord) {
	return {
		id: order.id,
		clientId: order.clientId,
		origin: "backup" as const,
		squareOffId: order.squareOffId,
		positionId: order.positionId,
		exchange: order.exchange,
		symbol: order.symbol,
		side: order.side,
		quantity: order.quantity,
		filledQty: order.filledQty,
		avgFillPrice: order.avgFillPrice ?? null,
		orderType: order.orderType,
		price: order.price ?? null,
		product: order.product,
		status: order.status,
		reason: order.reason ?? null,
		version: order.version,
		createdAt: new Date(order.createdAt),
		updatedAt: new Date(order.updatedAt),
	};
}

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

/** Rows per INSERT: the widest (orders, 19 columns) stays well under Postgres's 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;

function* chunks<T>(rows: T[]): Generator<T[]> {
	for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) yield rows.slice(i, i + ROWS_PER_STATEMENT);
}

/** Writes a batch in one transaction, four multi-row statements per ROWS_PER_STATEMENT entries. */
export async function writeRecords(env: Env, records: RecordEntry[]): Promise<void> {
	const orders: OrderMessage[] = [];
	const audits: AuditEntry[] = [];
	const outboxRows: (typeof schema.outbox.$inferInsert)[] = [];
	for (const r of records) {
		switch (r.kind) {
			case "order":
				orders.push(r);
				outboxRows.push({
					eventId: `order:${orderEventId(r.order)}`,
					kind: r.order.version === 1 ? "order" : "order_event",
					aggregateId: r.order.id,
					payload: { order: r.order, event: r.event },
				});
				break;
			case "audit":
				audits.push(r.entry);
				outboxRows.push({
					eventId: `audit:${r.entry.id}`,
					kind: "audit",
					aggregateId: r.entry.clientId ?? r.entry.actor,
					payload: r.entry,
				});
				break;
			default:
				assertNever(r);
		}
	}
	await withDb(env, undefined, (db) =>
		db.transaction(async (tx) => {
			const o = schema.orders;
			for (const newest of chunks(newestVersions(orders))) {
				await tx
					.insert(o)
					.values(newest.map(orderRow))
					.onConflictDoUpdate({
						target: o.id,
						set: {
							filledQty: sql`excluded.filled_qty`,
							avgFillPrice: sql`excluded.avg_fill_price`,
							status: sql`excluded.status`,
							reason: sql`excluded.reason`,
							version: sql`excluded.version`,
							updatedAt: sql`excluded.updated_at`,
						},
						setWhere: sql`${o.version} < excluded.version`,
					});
			}
			for (const versions of chunks(orders)) {
				await tx
					.insert(schema.orderEvents)
					.values(
						versions.map(({ order, event }) => ({
							id: orderEventId(order),
							orderId: order.id,
							version: order.version,
							status: order.status,
							filledQty: order.filledQty,
							fillQty: event.fillQty ?? null,
							fillPrice: event.fillPrice ?? null,
							reason: order.reason ?? null,
							at: new Date(order.updatedAt),
						})),
					)
					.onConflictDoNothing();
			}
			for (const entries of chunks(audits)) {
				await tx
					.insert(schema.auditLog)
					.values(
						entries.map((e) => ({
							id: e.id,
							at: new Date(e.at),
							clientId: e.clientId,
							actor: e.actor,
							action: e.action,
							detail: e.detail,
						})),
					)
					.onConflictDoNothing();
			}
			for (const rows of chunks(outboxRows)) await tx.insert(schema.outbox).values(rows).onConflictDoNothing();
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
