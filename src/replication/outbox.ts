// The outbox read for failback: what the backup created, paged by (txid, seq) with a cursor
// that never skips a row. A bigserial alone would: a transaction holding seq 5 can commit after
// a reader returned seq 6. So a page only holds rows of transactions older than every
// transaction still running (pg_snapshot_xmin); nothing can ever commit behind the cursor.
import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { Problem } from "../http/problem";

export interface OutboxCursor {
	txid: number;
	seq: number;
}

export const START: OutboxCursor = { txid: 0, seq: 0 };

/** Opaque to callers: "<txid>.<seq>" of the last event taken. */
export const encodeCursor = (c: OutboxCursor) => `${c.txid}.${c.seq}`;

export function decodeCursor(text: string | undefined): OutboxCursor {
	if (text === undefined || text === "") return START;
	const m = /^(\d{1,15})\.(\d{1,15})$/.exec(text);
	if (!m) throw new Problem(400, "INVALID_CURSOR", "cursor must be a value this API returned as `next` or `cursor`");
	return { txid: Number(m[1]), seq: Number(m[2]) };
}

export interface OutboxEvent {
	cursor: string;
	eventId: string;
	kind: "order" | "order_event" | "audit";
	aggregateId: string;
	payload: unknown;
	createdAt: string;
}

/** Transactions below this id have all finished: their rows are final and visible. */
const settled = sql`pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

export async function readOutbox(db: Db, after: OutboxCursor, limit: number): Promise<{ events: OutboxEvent[]; next: string }> {
	const { rows } = await db.execute<{
		txid: string;
		seq: string;
		event_id: string;
		kind: OutboxEvent["kind"];
		aggregate_id: string;
		payload: unknown;
		created_at: string | Date;
	}>(sql`
		SELECT txid, seq, event_id, kind, aggregate_id, payload, created_at FROM outbox
		WHERE (txid, seq) > (${after.txid}::bigint, ${after.seq}::bigint) AND txid < ${settled}
		ORDER BY txid, seq
		LIMIT ${limit}`);
	const events = rows.map((r) => ({
		cursor: encodeCursor({ txid: Number(r.txid), seq: Number(r.seq) }),
		eventId: r.event_id,
		kind: r.kind,
		aggregateId: r.aggregate_id,
		payload: r.payload,
		createdAt: new Date(r.created_at).toISOString(),
	}));
	return { events, next: events.at(-1)?.cursor ?? encodeCursor(after) };
}

/** Records how far a consumer has taken the outbox; only forward, and only to an event it could have read. */
export async function ackOutbox(
	db: Db,
	consumer: string,
	cursor: OutboxCursor,
): Promise<{ consumer: string; cursor: string; ackedAt: string }> {
	if (cursor.txid !== 0 || cursor.seq !== 0) {
		const { rows } = await db.execute(sql`
			SELECT 1 FROM outbox WHERE txid = ${cursor.txid}::bigint AND seq = ${cursor.seq}::bigint AND txid < ${settled}`);
		if (rows.length === 0) throw new Problem(422, "UNKNOWN_CURSOR", `no outbox event has cursor ${encodeCursor(cursor)}`);
	}
	const { rows } = await db.execute<{ txid: string; seq: string; updated_at: string | Date }>(sql`
		WITH moved AS (
			INSERT INTO outbox_ack (consumer, txid, seq, updated_at) VALUES (${consumer}, ${cursor.txid}::bigint, ${cursor.seq}::bigint, now())
			ON CONFLICT (consumer) DO UPDATE SET txid = excluded.txid, seq = excluded.seq, updated_at = now()
			WHERE (outbox_ack.txid, outbox_ack.seq) < (excluded.txid, excluded.seq)
			RETURNING txid, seq, updated_at
		)
		SELECT txid, seq, updated_at FROM moved
		UNION ALL SELECT txid, seq, updated_at FROM outbox_ack WHERE consumer = ${consumer} AND NOT EXISTS (SELECT 1 FROM moved)`);
	// One row: the ack moved (the insert or update returned it), or it did not and the stored one is read.
	const r = rows[0]!;
	return { consumer, cursor: encodeCursor({ txid: Number(r.txid), seq: Number(r.seq) }), ackedAt: new Date(r.updated_at).toISOString() };
}
