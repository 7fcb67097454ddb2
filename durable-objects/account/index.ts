// One Account per client (env.ACCOUNTS.getByName(clientId)): it serializes everything that
// changes the client's state. This file is its RPC surface only; each concern has its module:
// sign-in.ts and sessions.ts, positions.ts and primary-orders.ts (what the client holds),
// square-off.ts and cancels.ts (trader requests, idempotent through idempotency.ts),
// order-lifecycle.ts and oms-events.ts (how orders move), outbox.ts (what leaves for the
// queues), live.ts (sockets), alerts.ts (ops alert claims), ops.ts (the ops console's actions),
// schema.ts (tables).
//
// A trader's call checks its session in the same RPC as the work: one round trip to the
// Account per request, and a revoked session can never slip in between check and work.
// Answers are domain outcomes ({ ok: true, ... } | { ok: false, refusal }); routes make them HTTP.
import { DurableObject } from "cloudflare:workers";
import {
	LIVE_SESSION_HEADER,
	type OmsEvent,
	type OmsEventResult,
	type OmsLookup,
	type Order,
	type Outcome,
	type RelayOutcome,
	type SessionCheck,
	type SessionRef,
	type SquareOffRequest,
} from "../../src/contract";
import { AlarmClock } from "./alarm";
import { claimAlert, settleAlert } from "./alerts";
import { cancelAll, cancelOrder } from "./cancels";
import { expireIdempotent, IDEMPOTENCY_TTL_MS, storedOutcome } from "./idempotency";
import { acceptLive, closeAllSockets, closeEndedSessions, closeSessionSockets } from "./live";
import { applyOmsEvent, expireOmsEvents } from "./oms-events";
import { beginRelay, cancelRelay, expireHeldLegs, ordersSince, relayOutcome } from "./order-lifecycle";
import { orderView } from "./orders";
import { settleLookup } from "./outcome-checks";
import { cancelAllFor, disableClient, enableClient, type OpsAction, viewClient } from "./ops";
import { Outbox, RESEND_AFTER_MS } from "./outbox";
import { listPositions, positionsReplicated, reloadPositions, unavailable } from "./positions";
import { type Book, clientRow, migrate, updateClient } from "./schema";
import { openSession, revokeSession, sessionRefusal, touchSession } from "./sessions";
import { beginSignIn, beginTotp, finishTotp, openChallenge, resetSignIn } from "./sign-in";
import { MemoryStore, type SignInStore, SqlStore } from "./sign-in-stores";
import { countedEnv } from "../../src/observability/platform-calls";
import type { ClientRows } from "../../src/replication/client-rows";
import { squareOff } from "./square-off";
import { tradingDayStart } from "../../src/trading/rules";

export class Account extends DurableObject<Env> {
	private booked: Book | null = null;
	/** Sign-in state of an id no client has: memory only (sign-in.ts). */
	private unknownClient: MemoryStore | null = null;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, countedEnv(env));
	}

	/**
	 * Storage is set up on first use, not in the constructor: an Account asked only about an
	 * unknown client id (a sign-in attempt) must store nothing. Synchronous, so no other event
	 * can run in between.
	 */
	private get book(): Book {
		if (!this.booked) {
			migrate(this.ctx.storage.sql);
			const alarm = new AlarmClock(this.ctx.storage);
			this.booked = {
				sql: this.ctx.storage.sql,
				ctx: this.ctx,
				env: this.env,
				alarm,
				outbox: new Outbox(this.ctx, this.env, alarm),
				loading: null,
			};
		}
		return this.booked;
	}

	private get sql() {
		return this.book.sql;
	}

	// --- sign-in and sessions --------------------------------------------------------------

	/** `known`: Postgres has a client with this id. Only then does sign-in state reach storage. */
	private signIn(known: boolean): SignInStore {
		if (known) return new SqlStore(this.sql);
		this.unknownClient ??= new MemoryStore();
		return this.unknownClient;
	}

	beginSignIn(known: boolean, address: string, nowSeconds: number) {
		return beginSignIn(this.signIn(known), address, nowSeconds);
	}

	openChallenge(
		known: boolean,
		challenge: { nonce: string; name: string; sealedSeed: string; passwordOk: boolean; address: string },
		nowSeconds: number,
	) {
		return openChallenge(this.signIn(known), challenge, nowSeconds);
	}

	beginTotp(known: boolean, nonce: string, address: string, nowSeconds: number) {
		return beginTotp(this.signIn(known), nonce, address, nowSeconds);
	}

	finishTotp(
		known: boolean,
		a: { nonce: string; step: number | null; address: string; sessionId: string; nowSeconds: number; expiresAt: number },
	) {
		return finishTotp(this.signIn(known), known ? this.sql : null, a);
	}

	openSession(sessionId: string, nowSeconds: number, expiresAt: number) {
		openSession(this.sql, sessionId, nowSeconds, expiresAt);
	}

	touchSession(sessionId: string, nowSeconds: number): SessionCheck {
		return touchSession(this.sql, sessionId, nowSeconds);
	}

	/** Logout: the session ends here at once, and so do its live sockets. */
	revokeSession(sessionId: string, nowSeconds: number) {
		revokeSession(this.sql, sessionId, nowSeconds);
		closeSessionSockets(this.ctx, sessionId, "signed out");
	}

	/** Replication tells the Account when the primary disables or re-enables the client. */
	setClientStatus(status: "active" | "disabled") {
		const before = clientRow(this.sql).status;
		updateClient(this.sql, { status });
		if (status === "disabled") closeAllSockets(this.ctx, "client disabled");
		else if (before === "disabled") resetSignIn(this.sql);
	}

	/** GET /api/me: the session checked, and the client's name as it was at sign-in (null if this Account never saw one). */
	me(s: SessionRef): Exclude<SessionCheck, { ok: true }> | { ok: true; name: string | null } {
		const check = touchSession(this.sql, s.sessionId, s.nowSeconds);
		return check.ok ? { ok: true, name: clientRow(this.sql).name } : check;
	}

	// --- trader requests -------------------------------------------------------------------

	async listPositions(s: SessionRef) {
		return sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ?? listPositions(this.book, s.clientId);
	}

	/** Our orders of the trading day and any still open, newest first, then the primary's pending orders (they come with the first load). */
	async listOrders(s: SessionRef): Promise<Outcome<{ orders: Order[] }>> {
		const refused = sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ?? (await unavailable(this.book, s.clientId));
		return refused ?? { ok: true, orders: ordersSince(this.sql, tradingDayStart(s.nowSeconds * 1000)) };
	}

	async squareOff(s: SessionRef, idempotencyKey: string, requestHash: string, req: SquareOffRequest) {
		return sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ?? squareOff(this.book, s.clientId, idempotencyKey, requestHash, req);
	}

	/** A square-off's stored answer for this key and request, without starting one (null: none stored). */
	async squareOffAnswered(s: SessionRef, idempotencyKey: string, requestHash: string) {
		return (
			sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ??
			storedOutcome<{ squareOffId: string; orders: Order[] }>(this.sql, idempotencyKey, requestHash)
		);
	}

	async cancelOrder(s: SessionRef, idempotencyKey: string, requestHash: string, orderId: string) {
		return sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ?? cancelOrder(this.book, s.clientId, idempotencyKey, requestHash, orderId);
	}

	async cancelAll(s: SessionRef, idempotencyKey: string, requestHash: string) {
		return sessionRefusal(this.sql, s.sessionId, s.nowSeconds) ?? cancelAll(this.book, s.clientId, idempotencyKey, requestHash);
	}

	/** The live socket: GET /api/orders/live forwards its upgrade here, with the session it verified the token of. */
	async fetch(request: Request): Promise<Response> {
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
		return acceptLive(this.book, request.headers.get(LIVE_SESSION_HEADER) ?? "", Math.floor(Date.now() / 1000));
	}

	webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
		if (message === "ping") ws.send("pong");
	}

	webSocketClose(ws: WebSocket, code: number) {
		ws.close(code === 1005 ? 1000 : code, "closing");
	}

	// --- ops console (ops.ts) -----------------------------------------------------------------

	opsDisable(clientId: string, a: OpsAction) {
		return disableClient(this.book, clientId, a);
	}

	opsEnable(clientId: string, a: OpsAction) {
		return enableClient(this.book, clientId, a);
	}

	opsCancelAll(clientId: string, a: OpsAction) {
		return cancelAllFor(this.book, clientId, a);
	}

	opsView(clientId: string, operator: string) {
		return viewClient(this.book, clientId, operator);
	}

	// --- replication, relay and OMS --------------------------------------------------------

	/** Replication's rows for the client, read after a batch that changed them (see positionsReplicated). */
	positionsReplicated(rows: ClientRows): Promise<void> {
		return positionsReplicated(this.book, rows);
	}

	/** Reads the client's rows from Postgres again: after a change there that did not come through replication (a manual correction). */
	refreshPositions(clientId: string): Promise<void> {
		return reloadPositions(this.book, clientId);
	}

	async beginRelay(orderIds: string[]): Promise<string[]> {
		const send = beginRelay(this.book, orderIds);
		await this.book.outbox.kick({ orders: false });
		return send;
	}

	/** What the OMS said of an order whose placement had no definite answer. */
	async settleLookup(orderId: string, lookup: OmsLookup) {
		settleLookup(this.book, orderId, lookup);
		await this.book.outbox.kick({ orders: false });
		return orderView(this.sql, orderId);
	}

	cancelRelay(orderId: string) {
		return cancelRelay(this.sql, orderId);
	}

	/** Applies what the relay learned, in one call per client and batch. */
	async relayOutcomes(outcomes: { orderId: string; outcome: RelayOutcome }[]) {
		const results = outcomes.map(({ orderId, outcome }) => relayOutcome(this.book, orderId, outcome));
		await this.book.outbox.kick({ orders: false });
		return results;
	}

	/** Applies the OMS's events in the order given (one request may carry many); one kick for all. */
	async applyOmsEvents(events: OmsEvent[]): Promise<OmsEventResult[]> {
		const results = events.map((ev) => applyOmsEvent(this.book, ev));
		await this.book.outbox.kick({ orders: false });
		return results;
	}

	claimAlert(key: string) {
		return claimAlert(this.sql, key);
	}

	settleAlert(key: string, sent: boolean) {
		settleAlert(this.sql, key, sent);
	}

	/**
	 * Closes sockets whose session ended, fails held long legs past their expiry, resends what a
	 * failed or interrupted send left behind, expires idempotency keys and event ids, and comes
	 * back soon while anything waits, else when the oldest key expires, the next held leg expires
	 * or the next open socket's session would end. Only here does the alarm move later: kicks only
	 * bring it nearer, so a busy client does not rewrite it on every request.
	 */
	async alarm(): Promise<void> {
		this.book.alarm.rang();
		const nextSocketCheck = closeEndedSessions(this.ctx, this.sql, Math.floor(Date.now() / 1000));
		const nextKeyExpiry = expireIdempotent(this.sql);
		expireOmsEvents(this.sql, Date.now() - IDEMPOTENCY_TTL_MS);
		const nextHeldExpiry = expireHeldLegs(this.book);
		const waiting = await this.book.outbox.flush();
		const times = [waiting ? Date.now() + RESEND_AFTER_MS : nextKeyExpiry, nextSocketCheck, nextHeldExpiry].filter(
			(t): t is number => t !== null,
		);
		if (times.length > 0) await this.book.alarm.set(Math.min(...times));
	}
}
