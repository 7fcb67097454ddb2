// What the ops console does to one client, each recorded in the audit trail (actor
// "ops:<operator>", with the reason) in the same step as the change: disable (sessions end,
// live sockets close with 4401, sign-in refused with CLIENT_DISABLED), enable, cancel every live
// order, and a read-only look at positions and orders. A disable by ops is kept apart from the
// primary's own client status (replication), so neither undoes the other.
import { isFinal, type OpsDisabled, type Order, type Outcome, type Position } from "../../src/contract";
import { closeAllSockets } from "./live";
import { liveOrderRows, ordersSince, requestCancel } from "./order-lifecycle";
import { listPositions } from "./positions";
import { primaryOrders, requestPrimaryCancel } from "./primary-orders";
import { type Book, clientRow } from "./schema";
import { resetSignIn } from "./sign-in";

export interface OpsAction {
	operator: string;
	reason: string;
}

const actorOf = (operator: string) => `ops:${operator}`;

export function opsDisabled(sql: SqlStorage): OpsDisabled | null {
	const r = sql
		.exec<{ at: string | null; operator: string | null; reason: string | null }>(
			"SELECT ops_disabled_at AS at, ops_disabled_by AS operator, ops_disabled_reason AS reason FROM client",
		)
		.one();
	return r.at === null ? null : { at: r.at, operator: r.operator ?? "", reason: r.reason ?? "" };
}

/** Disables the client: every session ends at once (checked on each request) and every live socket closes. */
export async function disableClient(book: Book, clientId: string, a: OpsAction): Promise<{ changed: boolean; disabled: OpsDisabled }> {
	const before = opsDisabled(book.sql);
	if (!before) {
		book.sql.exec(
			"UPDATE client SET client_id = ?, ops_disabled_at = ?, ops_disabled_by = ?, ops_disabled_reason = ?",
			clientId,
			new Date().toISOString(),
			a.operator,
			a.reason,
		);
	}
	book.outbox.recordAudit(
		"ops.client_disabled",
		clientId,
		{ operator: a.operator, reason: a.reason, changed: !before },
		actorOf(a.operator),
	);
	closeAllSockets(book.ctx, "client disabled");
	await book.outbox.kick({ orders: false });
	return { changed: !before, disabled: opsDisabled(book.sql) as OpsDisabled };
}

/** Enables the client again: sign-in works again, with its locks started over. Old sessions stay ended (they were revoked). */
export async function enableClient(book: Book, clientId: string, a: OpsAction): Promise<{ changed: boolean }> {
	const before = opsDisabled(book.sql);
	if (before) {
		book.sql.exec("UPDATE client SET ops_disabled_at = NULL, ops_disabled_by = NULL, ops_disabled_reason = NULL");
		// Sessions of before the disable do not come back.
		book.sql.exec("UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL", Math.floor(Date.now() / 1000));
		if (clientRow(book.sql).status !== "disabled") resetSignIn(book.sql);
	}
	book.outbox.recordAudit(
		"ops.client_enabled",
		clientId,
		{ operator: a.operator, reason: a.reason, changed: !!before },
		actorOf(a.operator),
	);
	await book.outbox.kick({ orders: false });
	return { changed: !!before };
}

/** Cancels every live order of the client (ours and the primary's), as the trader's cancel-all would. */
export async function cancelAllFor(book: Book, clientId: string, a: OpsAction): Promise<{ orders: Order[] }> {
	const actor = actorOf(a.operator);
	const ours = liveOrderRows(book.sql).map((o) => requestCancel(book, clientId, o, actor));
	const primary = primaryOrders(book.sql)
		.filter((o) => !isFinal(o.status))
		.map((o) => requestPrimaryCancel(book, clientId, o, actor));
	const orders = [...ours, ...primary];
	book.outbox.recordAudit(
		"ops.orders_cancelled",
		clientId,
		{ operator: a.operator, reason: a.reason, orderIds: orders.map((o) => o.id) },
		actor,
	);
	await book.outbox.kick({ orders: true });
	return { orders };
}

export interface ClientView {
	clientId: string;
	/** The primary's status of the client (replicated). */
	status: "active" | "disabled";
	opsDisabled: OpsDisabled | null;
	asOf: string | null;
	positions: Position[];
	orders: Order[];
}

/** A read-only look at the client, audited (ops looking at a client's book is itself worth knowing). */
export async function viewClient(book: Book, clientId: string, operator: string): Promise<Outcome<ClientView>> {
	const listed = await listPositions(book, clientId);
	if (!listed.ok) return listed;
	book.outbox.recordAudit("ops.client_viewed", clientId, { operator }, actorOf(operator));
	await book.outbox.kick({ orders: false });
	return {
		ok: true,
		clientId,
		status: clientRow(book.sql).status,
		opsDisabled: opsDisabled(book.sql),
		asOf: listed.asOf,
		positions: listed.positions,
		orders: ordersSince(book.sql, ""), // ops see every day's
	};
}
