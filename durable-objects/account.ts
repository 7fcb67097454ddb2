// One Account per client (env.ACCOUNTS.getByName(clientId)). It serializes everything that
// changes the client's state: sessions and sign-in throttling, and (issue 4) positions,
// exit orders and idempotency records.
import { DurableObject } from "cloudflare:workers";
import { IDLE_TIMEOUT_SECONDS } from "../src/auth/session";

export type SessionCheck = { ok: true } | { ok: false; reason: "UNKNOWN" | "REVOKED" | "IDLE_TIMEOUT" | "EXPIRED" | "CLIENT_DISABLED" };

export class Account extends DurableObject<Env> {
	private readonly sql: SqlStorage;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		ctx.blockConcurrencyWhile(async () => this.migrate());
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

	// --- replication (issue 7) ------------------------------------------------------------

	/**
	 * Replication calls this after a batch that changed the client's positions or pending orders
	 * committed. Until the positions cache (issue 4) exists it only records that it was told;
	 * the trading side's implementation (reload from Postgres, push to live sockets) replaces this body.
	 */
	async refreshPositions(): Promise<void> {
		const told = Number(this.meta("positions_refresh_requests") ?? 0) + 1;
		this.setMeta("positions_refresh_requests", String(told));
	}
}
