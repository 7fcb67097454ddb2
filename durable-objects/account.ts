// One Account per client (env.ACCOUNTS.getByName(clientId)). It serializes everything that
// changes the client's state: sessions and sign-in throttling, and (issue 4) positions,
// exit orders and idempotency records.
import { DurableObject } from "cloudflare:workers";
import { IDLE_TIMEOUT_SECONDS } from "../src/auth/session";
import type { ApiResult, OmsEvent, RelayOutcome, SquareOffRequest } from "../src/types";
import { type OmsEventResult, TradingBook } from "./account-trading";

export type SessionCheck = { ok: true } | { ok: false; reason: "UNKNOWN" | "REVOKED" | "IDLE_TIMEOUT" | "EXPIRED" | "CLIENT_DISABLED" };

export class Account extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private readonly book: TradingBook;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		this.book = new TradingBook(ctx, env);
		ctx.blockConcurrencyWhile(async () => {
			this.migrate();
			this.book.migrate();
		});
	}

	private migrate() {
		this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
		this.sql.exec(`CREATE TABLE IF NOT EXISTS sessions (
			id TEXT PRIMARY KEY,
			created_at INTEGER NOT NULL,
			last_seen_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			revoked_at INTEGER
		)`);
	}

	private meta(key: string): string | null {
		const rows = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray();
		return rows[0]?.value ?? null;
	}

	private setMeta(key: string, value: string) {
		this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
	}

	// --- sessions -----------------------------------------------------------------------

	openSession(sessionId: string, nowSeconds: number, expiresAt: number): void {
		this.sql.exec(
			"INSERT INTO sessions (id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?)",
			sessionId,
			nowSeconds,
			nowSeconds,
			expiresAt,
		);
	}

	/** Checks a session and slides its idle timeout. */
	touchSession(sessionId: string, nowSeconds: number): SessionCheck {
		if (this.meta("client_status") === "disabled") return { ok: false, reason: "CLIENT_DISABLED" };
		const row = this.sql
			.exec<{ last_seen_at: number; expires_at: number; revoked_at: number | null }>(
				"SELECT last_seen_at, expires_at, revoked_at FROM sessions WHERE id = ?",
				sessionId,
			)
			.toArray()[0];
		if (!row) return { ok: false, reason: "UNKNOWN" };
		if (row.revoked_at !== null) return { ok: false, reason: "REVOKED" };
		if (nowSeconds >= row.expires_at) return { ok: false, reason: "EXPIRED" };
		if (nowSeconds - row.last_seen_at > IDLE_TIMEOUT_SECONDS) return { ok: false, reason: "IDLE_TIMEOUT" };
		this.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", nowSeconds, sessionId);
		return { ok: true };
	}

	revokeSession(sessionId: string, nowSeconds: number): void {
		this.sql.exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", nowSeconds, sessionId);
	}

	/** Replication tells the account when the primary disables or re-enables the client. */
	setClientStatus(status: "active" | "disabled"): void {
		this.setMeta("client_status", status);
	}

	// --- trading (issue 4/5): all logic in ./account-trading.ts ------------------------------

	listPositions(clientId: string) {
		return this.book.listPositions(clientId);
	}

	listOrders() {
		return this.book.listOrders();
	}

	/** Replication calls this after applying changes to the client's positions or instruments. */
	refreshPositions(clientId: string): Promise<void> {
		return this.book.loadPositions(clientId);
	}

	squareOff(clientId: string, idempotencyKey: string, requestHash: string, req: SquareOffRequest): Promise<ApiResult> {
		return this.book.squareOff(clientId, idempotencyKey, requestHash, req);
	}

	/** orderId null: cancel every live order. */
	cancelOrders(clientId: string, idempotencyKey: string, requestHash: string, orderId: string | null): Promise<ApiResult> {
		return this.book.cancel(clientId, idempotencyKey, requestHash, orderId);
	}

	beginRelay(orderId: string) {
		return this.book.beginRelay(orderId);
	}

	cancelRelay(orderId: string) {
		return this.book.cancelRelay(orderId);
	}

	relayOutcome(orderId: string, outcome: RelayOutcome) {
		return this.book.relayOutcome(orderId, outcome);
	}

	applyOmsEvent(event: OmsEvent): Promise<OmsEventResult> {
		return this.book.applyOmsEvent(event);
	}

	/** The live socket: GET /api/orders/live forwards its upgrade request here. */
	async fetch(request: Request): Promise<Response> {
		if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
		return this.book.acceptLive();
	}

	webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
		if (message === "ping") ws.send("pong");
	}

	webSocketClose(ws: WebSocket, code: number) {
		ws.close(code === 1005 ? 1000 : code, "closing");
	}

	async alarm(): Promise<void> {
		await this.book.alarm();
	}
}
