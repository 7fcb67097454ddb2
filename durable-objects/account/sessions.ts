// The client's sessions: opened at sign-in, checked (and their idle timeout slid) on every
// signed-in request, revoked at logout or when the client is disabled. Live sockets end with
// their session (live.ts).
import type { Refused, SessionCheck, SessionRefusedReason } from "../../src/contract";
import { IDLE_TIMEOUT_SECONDS, sessionRefusedDetail } from "../../src/auth/session";
import { clientDisabled, clientRow } from "./schema";

/** A session's recorded last use moves in steps of this (see touchSession). */
export const TOUCH_EVERY_SECONDS = 60;

export function openSession(sql: SqlStorage, sessionId: string, nowSeconds: number, expiresAt: number): void {
	sql.exec(
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
export function touchSession(sql: SqlStorage, sessionId: string, nowSeconds: number): SessionCheck {
	const check = sessionCheck(sql, sessionId, nowSeconds);
	if (check.ok && nowSeconds - check.lastSeenAt >= TOUCH_EVERY_SECONDS) {
		sql.exec("UPDATE sessions SET last_seen_at = ? WHERE id = ?", nowSeconds, sessionId);
	}
	return check.ok ? { ok: true } : check;
}

/**
 * Whether a session is live, without using it (the idle timer does not move); when live, the
 * moment it ends unless used again: its absolute end, or its idle end.
 */
export function sessionCheck(
	sql: SqlStorage,
	sessionId: string,
	nowSeconds: number,
): { ok: true; lastSeenAt: number; endsAt: number } | { ok: false; reason: SessionRefusedReason } {
	if (clientDisabled(clientRow(sql))) return { ok: false, reason: "CLIENT_DISABLED" };
	const row = sql
		.exec<{ last_seen_at: number; expires_at: number; revoked_at: number | null }>(
			"SELECT last_seen_at, expires_at, revoked_at FROM sessions WHERE id = ?",
			sessionId,
		)
		.toArray()[0];
	if (!row) return { ok: false, reason: "UNKNOWN" };
	if (row.revoked_at !== null) return { ok: false, reason: "REVOKED" };
	if (nowSeconds >= row.expires_at) return { ok: false, reason: "EXPIRED" };
	if (nowSeconds - row.last_seen_at > IDLE_TIMEOUT_SECONDS) return { ok: false, reason: "IDLE_TIMEOUT" };
	return { ok: true, lastSeenAt: row.last_seen_at, endsAt: Math.min(row.expires_at, row.last_seen_at + IDLE_TIMEOUT_SECONDS + 1) };
}

/** The refusal for a session that is no longer valid, or null (and the idle timeout slid). */
export function sessionRefusal(sql: SqlStorage, sessionId: string, nowSeconds: number): Refused | null {
	const check = touchSession(sql, sessionId, nowSeconds);
	return check.ok ? null : { ok: false, refusal: { code: "UNAUTHENTICATED", detail: sessionRefusedDetail(check.reason) } };
}

export function revokeSession(sql: SqlStorage, sessionId: string, nowSeconds: number): void {
	sql.exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", nowSeconds, sessionId);
}
