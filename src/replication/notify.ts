// After a batch commits, the Account Durable Objects of the clients it touched are told, so
// live state (positions, pending orders, whether the client may trade) follows Postgres: each
// listening Account gets its rows as they now stand (read here, a page of Accounts per
// statement), so it needs no connection of its own. Postgres stays the truth: a client whose
// Account could not be told catches up with the next batch that touches it, so a failure here
// is logged and never fails the batch (already committed).
import { sql } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import { log, logForClient } from "../observability/log";
import type { ApplyResult, Touched } from "./apply";
import { type ClientRows, clientRowsOf } from "./client-rows";

const CONCURRENCY = 25;
const CALL_TIMEOUT_MS = 5_000;
/** Accounts whose rows one statement reads: a change to a widely held instrument touches many. */
const PAGE = 500;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The rows of the listening Accounts a batch touched, after `after` in client id order: clients
 * whose positions or pending orders changed, and holders of an instrument that changed. Read
 * after the commit: an Account registering later reads the batch itself (it registers, then reads).
 */
async function listenerRows(db: Db, touched: Touched, after: string): Promise<ClientRows[]> {
	const l = schema.replicationListeners;
	const p = schema.positions;
	// Each list goes as one jsonb parameter: a thousand ids as a thousand parameters cost more
	// to build than the query takes to run.
	const each = (values: string[]) => sql`SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)`;
	const touchedBy = [
		touched.clients.length > 0 ? sql`${l.clientId} IN (${each(touched.clients)})` : null,
		touched.instruments.length > 0
			? sql`${l.clientId} IN (SELECT ${p.clientId} FROM ${p} WHERE ${p.instrumentId} IN (${each(touched.instruments)}) AND ${p.netQty} <> 0)`
			: null,
	].filter((c) => c !== null);
	const listeners = sql`SELECT ${l.clientId} FROM ${l}
		WHERE ${l.clientId} > ${after} AND (${sql.join(touchedBy, sql` OR `)})
		ORDER BY ${l.clientId} LIMIT ${PAGE}`;
	return (await db.execute<ClientRows>(clientRowsOf(listeners))).rows;
}

type AccountStub = ReturnType<Env["ACCOUNTS"]["getByName"]>;

/** Calls `tell` on each client's Account, CONCURRENCY at a time, each bounded; the clients whose call failed (logged). */
async function tellEach(env: Pick<Env, "ACCOUNTS">, calls: [string, (account: AccountStub) => Promise<void>][]): Promise<string[]> {
	const failed: string[] = [];
	for (let i = 0; i < calls.length; i += CONCURRENCY) {
		const failures = await Promise.all(
			calls.slice(i, i + CONCURRENCY).map(async ([clientId, tell]) => {
				try {
					await within(tell(env.ACCOUNTS.getByName(clientId)), CALL_TIMEOUT_MS);
					return null;
				} catch (err) {
					return { clientId, message: String(err) };
				}
			}),
		);
		for (const f of failures) {
			if (!f) continue;
			failed.push(f.clientId);
			await logForClient("sync.notify_failed", f.clientId, { message: f.message }, "error");
		}
	}
	return failed;
}

export async function notifyAccounts(
	env: Pick<Env, "ACCOUNTS">,
	db: Db,
	changed: Pick<ApplyResult, "touched" | "status">,
): Promise<{ notified: number; failed: number }> {
	const statuses = Object.entries(changed.status);
	const told = new Set(statuses.map(([clientId]) => clientId));
	const failed = new Set(
		await tellEach(
			env,
			statuses.map(([clientId, status]) => [clientId, (account) => account.setClientStatus(status)]),
		),
	);
	const { clients, instruments } = changed.touched;
	try {
		for (let after = ""; clients.length > 0 || instruments.length > 0; ) {
			const page = await listenerRows(db, changed.touched, after);
			for (const rows of page) told.add(rows.clientId);
			const pageFailed = await tellEach(
				env,
				page.map((rows) => [rows.clientId, (account) => account.positionsReplicated(rows)]),
			);
			for (const clientId of pageFailed) failed.add(clientId);
			if (page.length < PAGE) break;
			after = page.at(-1)!.clientId;
		}
	} catch (err) {
		log("sync.notify_failed", { message: String(err) }, "error");
	}
	return { notified: told.size - failed.size, failed: failed.size };
}
