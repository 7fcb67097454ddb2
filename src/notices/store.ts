// The notices' records in Postgres: one row per client and transition (the dedupe record), and
// one per transition. A send claims its row with a lease before it calls the gateway, so two
// deliveries of one message, or two fan-outs of one transition, hand a notice over once; a
// claim whose holder died runs out and the next delivery takes it over (the gateway also gets
// the notice id as Idempotency-Key for that case).
import { and, asc, eq, gt, inArray, isNotNull, not, or, type SQL, sql } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import type { NoticeChannel, NoticeKind, NoticeTransition } from "../contract";
import { channelFor } from "./gateway";

/** Clients read and recorded per fan-out message. */
export const FANOUT_PAGE_SIZE = 1000;
/** How long a claim holds while its notice is handed to the gateway (the gateway call times out at 5 s). */
export const LEASE_SECONDS = 30;

export interface NoticeKey {
	transitionId: string;
	clientId: string;
}

/**
 * Disabled by ops: the Account holds that, and its audit entries reach the audit log through the
 * records queue (about a second later, or once Postgres is back). A disable not followed by an
 * enable keeps the client out.
 */
const disabledByOps = sql`EXISTS (
	SELECT 1 FROM ${schema.auditLog} d WHERE d.client_id = ${schema.clients.clientId} AND d.action = 'ops.client_disabled'
	AND NOT EXISTS (SELECT 1 FROM ${schema.auditLog} e WHERE e.client_id = d.client_id AND e.action = 'ops.client_enabled' AND e.at > d.at))`;

/**
 * One page of the clients to tell (enabled on the primary and by ops, with a contact, not opted out, after `after` by id):
 * records a notice for each (already recorded ones stay as they are) and returns the page's ids.
 */
export async function recordPage(db: Db, t: NoticeTransition, after: string | null): Promise<string[]> {
	const c = schema.clients;
	const where: (SQL | undefined)[] = [
		eq(c.status, "active"),
		eq(c.noticesOptOut, false),
		not(disabledByOps),
		or(isNotNull(c.mobile), isNotNull(c.email)),
		after === null ? undefined : gt(c.clientId, after),
		t.clientIds === null ? undefined : inArray(c.clientId, t.clientIds),
	];
	const page = await db
		.select({ clientId: c.clientId, mobile: c.mobile, email: c.email })
		.from(c)
		.where(and(...where))
		.orderBy(asc(c.clientId))
		.limit(FANOUT_PAGE_SIZE);
	const rows = page.flatMap((p) => {
		const to = channelFor(p);
		return to ? [{ transitionId: t.id, clientId: p.clientId, kind: t.kind, channel: to.channel, destination: to.to }] : [];
	});
	await db.transaction(async (tx) => {
		await tx
			.insert(schema.noticeTransitions)
			.values({ id: t.id, kind: t.kind, at: new Date(t.at) })
			.onConflictDoNothing();
		if (rows.length > 0) await tx.insert(schema.notices).values(rows).onConflictDoNothing();
	});
	return page.map((p) => p.clientId);
}

const keyArrays = (keys: NoticeKey[]) => ({
	transitions: sql.param(keys.map((k) => k.transitionId)),
	clients: sql.param(keys.map((k) => k.clientId)),
});

export type Claim =
	| { state: "claimed"; kind: NoticeKind; channel: NoticeChannel; to: string; at: string }
	/** Sent or failed already: nothing to do. */
	| { state: "done" }
	/** Another delivery holds it: look again once its lease has run out. */
	| { state: "held"; retryInSeconds: number }
	/** No such notice (its fan-out never recorded it). */
	| { state: "unknown" };

/** Claims the notices of `keys` that are waiting (or whose claim ran out), in one statement. */
export async function claim(db: Db, keys: NoticeKey[]): Promise<Map<string, Claim>> {
	const { transitions, clients } = keyArrays(keys);
	const { rows } = await db.execute<{
		transition_id: string;
		client_id: string;
		claimed: boolean;
		status: string;
		kind: NoticeKind;
		channel: NoticeChannel;
		destination: string;
		at: string;
		lease_left: number | null;
	}>(sql`
		WITH target AS (
			SELECT DISTINCT * FROM unnest(${transitions}::text[], ${clients}::text[]) AS t(transition_id, client_id)
		), claimed AS (
			UPDATE notices n SET status = 'sending', attempts = n.attempts + 1,
				lease_until = now() + make_interval(secs => ${LEASE_SECONDS}), updated_at = now()
			FROM target t
			WHERE n.transition_id = t.transition_id AND n.client_id = t.client_id
				AND (n.status = 'queued' OR (n.status = 'sending' AND n.lease_until < now()))
			RETURNING n.transition_id, n.client_id
		)
		SELECT n.transition_id, n.client_id, (c.client_id IS NOT NULL) AS claimed, n.status, n.kind, n.channel, n.destination,
			nt.at::text AS at, ceil(extract(epoch FROM n.lease_until - now()))::int AS lease_left
		FROM notices n
		JOIN target t ON n.transition_id = t.transition_id AND n.client_id = t.client_id
		JOIN notice_transitions nt ON nt.id = n.transition_id
		LEFT JOIN claimed c ON c.transition_id = n.transition_id AND c.client_id = n.client_id`);
	const out = new Map<string, Claim>(keys.map((k) => [noticeId(k), { state: "unknown" }]));
	for (const r of rows) {
		const id = noticeId({ transitionId: r.transition_id, clientId: r.client_id });
		// The statement's snapshot predates its own UPDATE: a claimed row still shows its old status here.
		if (r.claimed) out.set(id, { state: "claimed", kind: r.kind, channel: r.channel, to: r.destination, at: new Date(r.at).toISOString() });
		else if (r.status === "sending") out.set(id, { state: "held", retryInSeconds: Math.max(1, r.lease_left ?? LEASE_SECONDS) });
		else out.set(id, { state: "done" });
	}
	return out;
}

export const noticeId = (k: NoticeKey) => `${k.transitionId}:${k.clientId}`;

export type Settlement = NoticeKey & { status: "sent" | "queued" | "failed"; error: string | null };

/** Ends the claims: sent, back to queued (a retry follows), or failed. One statement. */
export async function settle(db: Db, results: Settlement[]): Promise<void> {
	if (results.length === 0) return;
	const { transitions, clients } = keyArrays(results);
	const statuses = sql.param(results.map((r) => r.status));
	const errors = sql.param(results.map((r) => r.error));
	await db.execute(sql`
		UPDATE notices n SET status = v.status, error = v.error, lease_until = NULL, updated_at = now(),
			sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE n.sent_at END
		FROM unnest(${transitions}::text[], ${clients}::text[], ${statuses}::text[], ${errors}::text[]) AS v(transition_id, client_id, status, error)
		WHERE n.transition_id = v.transition_id AND n.client_id = v.client_id AND n.status <> 'sent'`);
}

/** Dead letters: notices not sent become failed; returns the transitions that have failures. */
export async function markFailed(db: Db, keys: NoticeKey[], error: string): Promise<string[]> {
	const { transitions, clients } = keyArrays(keys);
	const { rows } = await db.execute<{ transition_id: string }>(sql`
		UPDATE notices n SET status = 'failed', error = coalesce(n.error, ${error}), lease_until = NULL, updated_at = now()
		FROM unnest(${transitions}::text[], ${clients}::text[]) AS v(transition_id, client_id)
		WHERE n.transition_id = v.transition_id AND n.client_id = v.client_id AND n.status <> 'sent'
		RETURNING n.transition_id`);
	return [...new Set(rows.map((r) => r.transition_id))];
}

/** True for the one caller that gets to alert ops about this transition's failures (`release` undoes it when the alert failed). */
export async function claimFailureAlert(db: Db, transitionId: string, release = false): Promise<boolean> {
	const t = schema.noticeTransitions;
	if (release) {
		await db.update(t).set({ alertedAt: null }).where(eq(t.id, transitionId));
		return false;
	}
	const rows = await db
		.update(t)
		.set({ alertedAt: new Date() })
		.where(and(eq(t.id, transitionId), sql`${t.alertedAt} IS NULL`))
		.returning({ id: t.id });
	return rows.length > 0;
}

/**
 * Ops, once the gateway works again: the transition's failed notices go back to queued (its next
 * failures alert again) and every notice not sent is returned, to be queued for sending.
 */
export async function requeueUnsent(db: Db, transitionId: string): Promise<string[] | null> {
	return db.transaction(async (tx) => {
		const t = schema.noticeTransitions;
		const found = await tx.update(t).set({ alertedAt: null }).where(eq(t.id, transitionId)).returning({ id: t.id });
		if (found.length === 0) return null;
		const n = schema.notices;
		await tx
			.update(n)
			.set({ status: "queued", error: null, updatedAt: new Date() })
			.where(and(eq(n.transitionId, transitionId), eq(n.status, "failed")));
		const rows = await tx
			.select({ clientId: n.clientId })
			.from(n)
			.where(and(eq(n.transitionId, transitionId), inArray(n.status, ["queued", "sending"])));
		return rows.map((r) => r.clientId);
	});
}
