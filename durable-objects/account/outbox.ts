// What leaves the Account: orders and cancels for the orders queue, records (order versions,
// audit entries) for the records queue. Both wait in SQLite until sent, so nothing accepted is
// lost if a send fails or the object is evicted: an alarm sends what is left.
// What was sent is remembered in memory, not written after the send: a write of its own would
// cost every order a storage commit more. An evicted Account sends those once more, which the
// relay (an order leaves PENDING once) and the records consumer (idempotent writes) absorb.
import { type AuditAction, MAX_RECORDS_MESSAGE_BYTES, type OrderMessage, type RecordEntry } from "../../src/contract";
import { auditEntry } from "../../src/observability/audit";
import { log } from "../../src/observability/log";
import { ordersQueue, recordsQueue } from "../../src/queue-shards";
import { orderRecord, relayOrder } from "./orders";
import type { AlarmClock } from "./alarm";
import { checksDue } from "./outcome-checks";
import { clientRow, type OrderRow } from "./schema";

/** How soon the alarm retries sends that failed (orders queue, records queue). */
export const RESEND_AFTER_MS = 5000;
const QUEUE_BATCH = 100;
/** How long records for Postgres may wait to leave together (see kick). */
const RECORDS_BATCH_MS = 1000;

/**
 * Runs a send at most once at a time. A call arriving while one runs is not run alongside
 * (that would send the same rows twice): the running send goes round once more instead.
 * A failure is logged and leaves the rows in SQLite for the alarm.
 */
class SerialRunner {
	private running: Promise<void> | null = null;
	private again = false;

	constructor(private readonly send: () => Promise<void>) {}

	run(): Promise<void> {
		if (this.running) {
			this.again = true;
			return this.running;
		}
		this.running = (async () => {
			do {
				this.again = false;
				try {
					await this.send();
				} catch (err) {
					log("account.send_failed", { message: String(err) }, "error");
					return;
				}
			} while (this.again);
		})().finally(() => {
			this.running = null;
		});
		return this.running;
	}
}

export class Outbox {
	private readonly sql: SqlStorage;
	private readonly orderSends = new SerialRunner(() => this.sendOrders());
	private readonly recordSends = new SerialRunner(() => this.sendRecords());
	private recordsScheduled = false;
	/** Orders became ready to send outside a square-off or cancel (a held leg released): the next kick sends them. */
	private ordersReady = false;
	/** PENDING orders this instance has put on the orders queue (the relay takes them out of PENDING). */
	private readonly placed = new Set<string>();
	/** Records up to this seq are on the records queue; their rows go with the next write (dropSentRecords). */
	private recordsSentThrough = 0;

	constructor(
		private readonly ctx: DurableObjectState,
		private readonly env: Env,
		private readonly alarm: AlarmClock,
	) {
		this.sql = ctx.storage.sql;
	}

	ordersWaiting() {
		this.ordersReady = true;
	}

	recordOrder(row: OrderRow, event: { fillQty?: number; fillPrice?: string }) {
		this.record({ kind: "order", order: orderRecord(row), event });
	}

	recordAudit(action: AuditAction, clientId: string, detail: Record<string, unknown>, actor = `client:${clientId}`) {
		this.record({ kind: "audit", entry: auditEntry(action, actor, clientId, detail) });
	}

	private record(msg: RecordEntry) {
		this.dropSentRecords();
		this.sql.exec("INSERT INTO outbound_records (body) VALUES (?)", JSON.stringify(msg));
	}

	/** Deletes the rows of records already sent, within a write that happens anyway. */
	private dropSentRecords() {
		this.sql.exec("DELETE FROM outbound_records WHERE seq <= ?", this.recordsSentThrough);
	}

	/**
	 * Answers need not wait for the queues: what is waiting sits in SQLite and an alarm is armed
	 * (it resends if this object is evicted mid-send). Orders and cancels then leave at once
	 * (only a square-off or a cancel makes any, so only those look for them);
	 * records for Postgres leave together up to RECORDS_BATCH_MS later, so a busy client sends
	 * one batch of them instead of one per change.
	 */
	async kick(what: { orders: boolean }): Promise<void> {
		await this.alarm.wakeBy(Date.now() + RESEND_AFTER_MS);
		if (what.orders || this.ordersReady) {
			this.ordersReady = false;
			this.ctx.waitUntil(this.orderSends.run());
		}
		if (!this.recordsScheduled) {
			this.recordsScheduled = true;
			this.ctx.waitUntil(
				scheduler.wait(RECORDS_BATCH_MS).then(() => {
					this.recordsScheduled = false;
					return this.recordSends.run();
				}),
			);
		}
	}

	/** Sends whatever waits (the alarm's part); true while anything is still left to send. */
	async flush(): Promise<boolean> {
		await Promise.all([this.orderSends.run(), this.recordSends.run()]);
		this.dropSentRecords();
		return this.waiting();
	}

	/** PENDING orders this instance has not put on the orders queue yet (it forgets those that left PENDING). */
	private unplaced(): OrderRow[] {
		const pending = this.sql.exec<OrderRow>("SELECT * FROM orders WHERE status = 'PENDING' AND held = 0 ORDER BY rowid").toArray();
		const stillPending = new Set(pending.map((r) => r.id));
		for (const id of this.placed) if (!stillPending.has(id)) this.placed.delete(id);
		return pending.filter((r) => !this.placed.has(r.id));
	}

	private async sendOrders(): Promise<void> {
		const places = this.unplaced();
		const cancels = this.sql.exec<OrderRow>("SELECT * FROM orders WHERE cancel_state = 'requested'").toArray();
		const primaryCancels = this.sql.exec<{ order_id: string }>("SELECT order_id FROM primary_cancels WHERE state = 'requested'").toArray();
		const clientId = clientRow(this.sql).client_id;
		const now = new Date().toISOString();
		const messages: { id: string; body: OrderMessage }[] = [
			...places.map((r) => ({ id: r.id, body: { kind: "place", order: relayOrder(r), acceptedAt: r.created_at } as const })),
			...cancels.map((r) => ({ id: r.id, body: { kind: "cancel", orderId: r.id, clientId: r.client_id, requestedAt: now } as const })),
			...checksDue(this.sql, (Number(this.env.OMS_CHECK_EVERY_SECONDS) || 15) * 1000).map((r) => ({
				id: r.id,
				body: { kind: "check", orderId: r.id, clientId: r.client_id, requestedAt: now } as const,
			})),
			...(clientId === null
				? []
				: primaryCancels.map((r) => ({
						id: r.order_id,
						body: { kind: "cancel", orderId: r.order_id, clientId, requestedAt: now } as const,
					}))),
		];
		for (let i = 0; i < messages.length; i += QUEUE_BATCH) {
			const chunk = messages.slice(i, i + QUEUE_BATCH);
			await ordersQueue(this.env, clientId).sendBatch(chunk.map((m) => ({ body: m.body })));
			for (const m of chunk) {
				if (m.body.kind === "place") this.placed.add(m.id);
				else if (m.body.kind === "cancel") {
					this.sql.exec("UPDATE orders SET cancel_state = 'sent' WHERE id = ? AND cancel_state = 'requested'", m.id);
					this.sql.exec("UPDATE primary_cancels SET state = 'sent' WHERE order_id = ? AND state = 'requested'", m.id);
				}
			}
		}
	}

	/** Waiting records leave packed, as many to a message as fit (one message per flush for most clients). */
	private async sendRecords(): Promise<void> {
		const bytes = new TextEncoder();
		for (;;) {
			const rows = this.sql
				.exec<{ seq: number; body: string }>(
					"SELECT seq, body FROM outbound_records WHERE seq > ? ORDER BY seq LIMIT ?",
					this.recordsSentThrough,
					QUEUE_BATCH,
				)
				.toArray();
			const packed: RecordEntry[] = [];
			let size = 0;
			let lastSeq: number | null = null;
			for (const r of rows) {
				size += bytes.encode(r.body).length + 1;
				if (packed.length > 0 && size > MAX_RECORDS_MESSAGE_BYTES) break;
				packed.push(JSON.parse(r.body) as RecordEntry);
				lastSeq = r.seq;
			}
			if (lastSeq === null) return;
			await recordsQueue(this.env, clientRow(this.sql).client_id).send({ kind: "records", records: packed });
			this.recordsSentThrough = lastSeq;
		}
	}

	/** Whether anything still waits to be sent (the alarm keeps coming back until nothing does). */
	private waiting(): boolean {
		return (
			this.unplaced().length > 0 ||
			this.sql
				.exec(
					"SELECT 1 FROM orders WHERE cancel_state = 'requested' OR (outcome_unknown = 1 AND status = 'SENT') UNION ALL SELECT 1 FROM primary_cancels WHERE state = 'requested' UNION ALL SELECT 1 FROM outbound_records WHERE seq > ? LIMIT 1",
					this.recordsSentThrough,
				)
				.toArray().length > 0
		);
	}
}
