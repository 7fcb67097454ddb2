// Consumer of the records queue: writes what the Durable Objects and routes produced (order
// snapshots with their events, audit entries) to Postgres, with an outbox row for each, in
// one transaction per batch. Every write is idempotent (keyed by order version or entry id),
// so a redelivered batch changes nothing; an older order version never overwrites a newer.
import { sql } from "drizzle-orm";
import { sendAlert } from "../src/alerts";
import { openDb, schema, type Db } from "../src/db/client";
import { assertNever, type AuditEntry, type OrderRecord, type RecordMessage } from "../src/types";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

async function writeOrder(tx: Tx, order: OrderRecord, event: { fillQty?: number; fillPrice?: string }) {
	const row = {
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
	await tx
		.insert(schema.orders)
		.values(row)
		.onConflictDoUpdate({
			target: schema.orders.id,
			set: {
				filledQty: row.filledQty,
				avgFillPrice: row.avgFillPrice,
				status: row.status,
				reason: row.reason,
				version: row.version,
				updatedAt: row.updatedAt,
			},
			setWhere: sql`${schema.orders.version} < ${row.version}`,
		});
	const eventId = `${order.id}:v${order.version}`;
	await tx
		.insert(schema.orderEvents)
		.values({
			id: eventId,
			orderId: order.id,
			version: order.version,
			status: order.status,
			filledQty: order.filledQty,
			fillQty: event.fillQty ?? null,
			fillPrice: event.fillPrice ?? null,
			reason: order.reason ?? null,
			at: new Date(order.updatedAt),
		})
		.onConflictDoNothing();
	await tx
		.insert(schema.outbox)
		.values({
			eventId: `order:${eventId}`,
			kind: order.version === 1 ? "order" : "order_event",
			aggregateId: order.id,
			payload: { order, event },
		})
		.onConflictDoNothing();
}

async function writeAudit(tx: Tx, entry: AuditEntry) {
	await tx
		.insert(schema.auditLog)
		.values({
			id: entry.id,
			at: new Date(entry.at),
			clientId: entry.clientId,
			actor: entry.actor,
			action: entry.action,
			detail: entry.detail,
		})
		.onConflictDoNothing();
	await tx
		.insert(schema.outbox)
		.values({ eventId: `audit:${entry.id}`, kind: "audit", aggregateId: entry.clientId ?? entry.actor, payload: entry })
		.onConflictDoNothing();
}

export async function writeRecords(env: Env, records: RecordMessage[]): Promise<void> {
	const { db, close } = openDb(env);
	try {
		await db.transaction(async (tx) => {
			for (const r of records) {
				switch (r.kind) {
					case "order":
						await writeOrder(tx, r.order, r.event);
						break;
					case "audit":
						await writeAudit(tx, r.entry);
						break;
					default:
						assertNever(r);
				}
			}
		});
	} finally {
		await close();
	}
}

/** Backoff for a batch Postgres refused: 2, 4, 8 ... capped at 5 minutes. */
export const recordsRetryDelay = (attempts: number) => Math.min(300, 2 ** Math.min(attempts, 9));

export async function consumeRecords(batch: MessageBatch<RecordMessage>, env: Env): Promise<void> {
	try {
		await writeRecords(
			env,
			batch.messages.map((m) => m.body),
		);
	} catch (err) {
		const attempts = Math.max(...batch.messages.map((m) => m.attempts));
		console.error(JSON.stringify({ event: "records.write_failed", count: batch.messages.length, attempts, message: String(err) }));
		batch.retryAll({ delaySeconds: recordsRetryDelay(attempts) });
		return;
	}
	batch.ackAll();
}

/** Records that Postgres refused for every retry: logged whole (so they can be replayed) and ops alerted. */
export async function consumeDeadRecords(batch: MessageBatch<RecordMessage>, env: Env): Promise<void> {
	try {
		await writeRecords(
			env,
			batch.messages.map((m) => m.body),
		);
		batch.ackAll();
		return;
	} catch (err) {
		for (const m of batch.messages) console.error(JSON.stringify({ event: "records.dead_letter", record: m.body, message: String(err) }));
		await sendAlert(env, {
			event: "records.dead_letter",
			text: `${batch.messages.length} record(s) could not be written to Postgres after every retry; they are in the logs (event records.dead_letter)`,
			detail: { count: batch.messages.length, error: String(err) },
		});
		batch.retryAll({ delaySeconds: 300 });
	}
}
