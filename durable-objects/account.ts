// One Account per client (env.ACCOUNTS.getByName(clientId)). It serializes everything that
// changes the client's state: sessions and sign-in throttling, and (issue 4) positions,
// exit orders and idempotency records.
import { DurableObject } from "cloudflare:workers";
import { IDLE_TIMEOUT_SECONDS } from "../src/auth/session";
import { problemBody } from "../src/http/problem";
import type { ApiResult, OmsEvent, RelayOutcome, SessionRef, SquareOffRequest } from "../src/contract";
import { type OmsEventResult, TradingBook } from "./account-trading";

// Sign-in throttling. Every attempt (a password, or a TOTP code) is counted as a failure the
// moment it starts, in one synchronous step, so parallel guesses cannot slip past the limit
// while others are still being checked; a correct password takes its count back, a completed
// sign-in resets everything. The attempt that reaches LOCK_AFTER_FAILURES locks the account
// for a cooling period that doubles with each lock in a row (1, 2, 4 ... 60 min).
export const LOCK_AFTER_FAILURES = 5;
const FIRST_LOCK_SECONDS = 60;
const MAX_LOCK_SECONDS = 60 * 60;
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const CHALLENGE_MAX_ATTEMPTS = 3;
const MAX_OPEN_CHALLENGES = 5;
/** A session's recorded last use moves in steps of this (see touchSession). */
export const TOUCH_EVERY_SECONDS = 60;

/** On ok, a non-null lockedUntil means this attempt reached the limit: if it fails, the account stays locked until then. */
export type AttemptStart = { ok: true; lockedUntil: number | null } | { ok: false; lockedUntil: number };
export type TotpAttemptStart =
	| { ok: true; lockedUntil: number | null; sealedSeed: string; name: string; lastStep: number | null }
	| { ok: false; reason: "LOCKED"; lockedUntil: number }
	| { ok: false; reason: "NO_CHALLENGE" };
export type SignInCompletion = { ok: true } | { ok: false; reason: "REPLAYED" | "NO_CHALLENGE" | "CLIENT_DISABLED" };

export type SessionCheck = { ok: true } | { ok: false; reason: "UNKNOWN" | "REVOKED" | "IDLE_TIMEOUT" | "EXPIRED" | "CLIENT_DISABLED" };

/** The 401 detail for a session the Account no longer accepts. */
export const sessionRefusedDetail = (reason: Exclude<SessionCheck, { ok: true }>["reason"]) =>
	`session not valid (${reason.toLowerCase().replaceAll("_", " ")})`;

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
		this.sql.exec(`CREATE TABLE IF NOT EXISTS sign_in (
			id INTEGER PRIMARY KEY CHECK (id = 1),
			failures INTEGER NOT NULL,
			lock_level INTEGER NOT NULL,
			locked_until INTEGER NOT NULL,
			last_totp_step INTEGER
		)`);
		this.sql.exec("INSERT OR IGNORE INTO sign_in VALUES (1, 0, 0, 0, NULL)");
		this.sql.exec(`CREATE TABLE IF NOT EXISTS challenges (
			nonce TEXT PRIMARY KEY,
			expires_at INTEGER NOT NULL,
			attempts INTEGER NOT NULL,
			name TEXT NOT NULL,
			sealed_seed TEXT NOT NULL
		)`);
	}

	private signIn() {
		return this.sql
			.exec<{ failures: number; lock_level: number; locked_until: number; last_totp_step: number | null }>(
				"SELECT failures, lock_level, locked_until, last_totp_step FROM sign_in WHERE id = 1",
			)
			.one();
	}

	private meta(key: string): string | null {
		const rows = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray();
		return rows[0]?.value ?? null;
	}

	private setMeta(key: string, value: string) {
		this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
	}

	// --- sign-in ------------------------------------------------------------------------

	/** Starts a sign-in attempt (password or TOTP): refused while locked, otherwise counted as a failure until settled. */
	beginAttempt(nowSeconds: number): AttemptStart {
		const s = this.signIn();
		if (s.locked_until > nowSeconds) return { ok: false, lockedUntil: s.locked_until };
		// A lock that has run out starts a new round of attempts; lock_level remembers it for the next lock.
		const failures = (s.failures >= LOCK_AFTER_FAILURES ? 0 : s.failures) + 1;
		const locking = failures >= LOCK_AFTER_FAILURES;
		const lockedUntil = locking ? nowSeconds + Math.min(FIRST_LOCK_SECONDS * 2 ** s.lock_level, MAX_LOCK_SECONDS) : s.locked_until;
		this.sql.exec(
			"UPDATE sign_in SET failures = ?, lock_level = ?, locked_until = ? WHERE id = 1",
			failures,
			locking ? s.lock_level + 1 : s.lock_level,
			lockedUntil,
		);
		return { ok: true, lockedUntil: locking ? lockedUntil : null };
	}

	/** The password was right: its attempt is not a failure (and if it set the lock, the lock goes), and a TOTP challenge opens. */
	passwordAccepted(locking: boolean, challenge: { nonce: string; name: string; sealedSeed: string }, nowSeconds: number): number {
		this.releaseAttempt(locking);
		this.sql.exec("DELETE FROM challenges WHERE expires_at <= ?", nowSeconds);
		this.sql.exec(
			`DELETE FROM challenges WHERE nonce IN (SELECT nonce FROM challenges ORDER BY expires_at DESC LIMIT -1 OFFSET ?)`,
			MAX_OPEN_CHALLENGES - 1,
		);
		const expiresAt = nowSeconds + CHALLENGE_TTL_SECONDS;
		this.sql.exec("INSERT INTO challenges VALUES (?, ?, 0, ?, ?)", challenge.nonce, expiresAt, challenge.name, challenge.sealedSeed);
		return expiresAt;
	}

	/** Takes back an attempt that was neither right nor wrong (our side failed). */
	releaseAttempt(locking: boolean): void {
		const s = this.signIn();
		this.sql.exec(
			"UPDATE sign_in SET failures = ?, lock_level = ?, locked_until = ? WHERE id = 1",
			Math.max(0, s.failures - 1),
			locking ? Math.max(0, s.lock_level - 1) : s.lock_level,
			locking ? 0 : s.locked_until,
		);
	}

	/** Starts a TOTP attempt on an open challenge (each allows CHALLENGE_MAX_ATTEMPTS codes). */
	beginTotpAttempt(nonce: string, nowSeconds: number): TotpAttemptStart {
		const challenge = this.sql
			.exec<{ attempts: number; name: string; sealed_seed: string }>(
				"SELECT attempts, name, sealed_seed FROM challenges WHERE nonce = ? AND expires_at > ?",
				nonce,
				nowSeconds,
			)
			.toArray()[0];
		if (!challenge || challenge.attempts >= CHALLENGE_MAX_ATTEMPTS) return { ok: false, reason: "NO_CHALLENGE" };
		const attempt = this.beginAttempt(nowSeconds);
		if (!attempt.ok) return { ok: false, reason: "LOCKED", lockedUntil: attempt.lockedUntil };
		this.sql.exec("UPDATE challenges SET attempts = attempts + 1 WHERE nonce = ?", nonce);
		return {
			ok: true,
			lockedUntil: attempt.lockedUntil,
			sealedSeed: challenge.sealed_seed,
			name: challenge.name,
			lastStep: this.signIn().last_totp_step,
		};
	}

	/**
	 * Both factors passed: consumes the challenge, records the TOTP step (refusing one at or before
	 * the last accepted, which a parallel request may just have used), resets throttling and opens the session.
	 */
	completeSignIn(nonce: string, totpStep: number, sessionId: string, nowSeconds: number, expiresAt: number): SignInCompletion {
		if (this.meta("client_status") === "disabled") return { ok: false, reason: "CLIENT_DISABLED" };
		const last = this.signIn().last_totp_step;
		if (last !== null && totpStep <= last) return { ok: false, reason: "REPLAYED" };
		const challenge = this.sql
			.exec<{ name: string }>("DELETE FROM challenges WHERE nonce = ? AND expires_at > ? RETURNING name", nonce, nowSeconds)
			.toArray()[0];
		if (!challenge) return { ok: false, reason: "NO_CHALLENGE" };
		// Kept so /api/me answers from here, without Postgres.
		this.setMeta("client_name", challenge.name);
		this.sql.exec("UPDATE sign_in SET failures = 0, lock_level = 0, locked_until = 0, last_totp_step = ? WHERE id = 1", totpStep);
		this.openSession(sessionId, nowSeconds, expiresAt);
		return { ok: true };
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

	/**
	 * Checks a session and slides its idle timeout. The recorded use moves in steps of
	 * TOUCH_EVERY_SECONDS, so a busy session is written at most once a minute rather than on
	 * every read; the idle end can come up to that much early, never late.
	 */
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
		if (nowSeconds - row.last_seen_at >= TOUCH_EVERY_SECONDS) {
			this.sql.exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", nowSeconds, sessionId);
		}
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
	// A trader's call checks its session here, in the same RPC as the work: one round trip to
	// the Account per request, and a revoked session can never slip in between check and work.

	/** The 401 for a session that is no longer valid, or null (and the idle timeout slid). */
	private sessionRefusal(s: SessionRef): ApiResult | null {
		const check = this.touchSession(s.sessionId, s.nowSeconds);
		if (check.ok) return null;
		return { status: 401, body: problemBody(401, "UNAUTHENTICATED", sessionRefusedDetail(check.reason)), problem: true };
	}

	/** GET /api/me: the session checked, and the client's name as it was at sign-in (null if this Account never saw one). */
	me(s: SessionRef): Exclude<SessionCheck, { ok: true }> | { ok: true; name: string | null } {
		const check = this.touchSession(s.sessionId, s.nowSeconds);
		return check.ok ? { ok: true, name: this.meta("client_name") } : check;
	}

	async listPositions(s: SessionRef): Promise<ApiResult> {
		return this.sessionRefusal(s) ?? this.book.listPositions(s.clientId);
	}

	async listOrders(s: SessionRef): Promise<ApiResult> {
		return this.sessionRefusal(s) ?? this.book.listOrders(s.clientId);
	}

	/** Replication calls this after applying changes to the client's positions or instruments. */
	refreshPositions(clientId: string): Promise<void> {
		return this.book.loadPositions(clientId);
	}

	async squareOff(s: SessionRef, idempotencyKey: string, requestHash: string, req: SquareOffRequest): Promise<ApiResult> {
		return this.sessionRefusal(s) ?? this.book.squareOff(s.clientId, idempotencyKey, requestHash, req);
	}

	/** orderId null: cancel every live order. */
	async cancelOrders(s: SessionRef, idempotencyKey: string, requestHash: string, orderId: string | null): Promise<ApiResult> {
		return this.sessionRefusal(s) ?? this.book.cancel(s.clientId, idempotencyKey, requestHash, orderId);
	}

	beginRelay(orderIds: string[]) {
		return this.book.beginRelay(orderIds);
	}

	cancelRelay(orderId: string) {
		return this.book.cancelRelay(orderId);
	}

	relayOutcomes(outcomes: { orderId: string; outcome: RelayOutcome }[]) {
		return this.book.relayOutcomes(outcomes);
	}

	claimAlert(key: string) {
		return this.book.claimAlert(key);
	}

	settleAlert(key: string, sent: boolean) {
		return this.book.settleAlert(key, sent);
	}

	applyOmsEvents(events: OmsEvent[]): Promise<OmsEventResult[]> {
		return this.book.applyOmsEvents(events);
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
