// Sign-in throttling and TOTP challenges. Every attempt (a password, or a TOTP code) is counted
// as a failure the moment it starts, in one synchronous step, so parallel guesses cannot slip
// past the limit while others are still being checked; a correct password takes its count back,
// a completed sign-in resets everything. The attempt that reaches LOCK_AFTER_FAILURES locks the
// account for a cooling period that doubles with each lock in a row (1, 2, 4 ... 60 min).
import { openSession } from "./sessions";
import { clientRow, updateClient } from "./schema";

export const LOCK_AFTER_FAILURES = 5;
const FIRST_LOCK_SECONDS = 60;
const MAX_LOCK_SECONDS = 60 * 60;
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const CHALLENGE_MAX_ATTEMPTS = 3;
const MAX_OPEN_CHALLENGES = 5;

/** On ok, a non-null lockedUntil means this attempt reached the limit: if it fails, the account stays locked until then. */
export type AttemptStart = { ok: true; lockedUntil: number | null } | { ok: false; lockedUntil: number };
export type TotpAttemptStart =
	| { ok: true; lockedUntil: number | null; sealedSeed: string; name: string; lastStep: number | null }
	| { ok: false; reason: "LOCKED"; lockedUntil: number }
	| { ok: false; reason: "NO_CHALLENGE" };
export type SignInCompletion = { ok: true } | { ok: false; reason: "REPLAYED" | "NO_CHALLENGE" | "CLIENT_DISABLED" };

interface SignInRow {
	failures: number;
	lock_level: number;
	locked_until: number;
	last_totp_step: number | null;
	[k: string]: SqlStorageValue;
}

const signInRow = (sql: SqlStorage) =>
	sql.exec<SignInRow>("SELECT failures, lock_level, locked_until, last_totp_step FROM sign_in WHERE id = 1").one();

/** Starts a sign-in attempt (password or TOTP): refused while locked, otherwise counted as a failure until settled. */
export function beginAttempt(sql: SqlStorage, nowSeconds: number): AttemptStart {
	const s = signInRow(sql);
	if (s.locked_until > nowSeconds) return { ok: false, lockedUntil: s.locked_until };
	// A lock that has run out starts a new round of attempts; lock_level remembers it for the next lock.
	const failures = (s.failures >= LOCK_AFTER_FAILURES ? 0 : s.failures) + 1;
	const locking = failures >= LOCK_AFTER_FAILURES;
	const lockedUntil = locking ? nowSeconds + Math.min(FIRST_LOCK_SECONDS * 2 ** s.lock_level, MAX_LOCK_SECONDS) : s.locked_until;
	sql.exec(
		"UPDATE sign_in SET failures = ?, lock_level = ?, locked_until = ? WHERE id = 1",
		failures,
		locking ? s.lock_level + 1 : s.lock_level,
		lockedUntil,
	);
	return { ok: true, lockedUntil: locking ? lockedUntil : null };
}

/** Takes back an attempt that was neither right nor wrong (our side failed). */
export function releaseAttempt(sql: SqlStorage, locking: boolean): void {
	const s = signInRow(sql);
	sql.exec(
		"UPDATE sign_in SET failures = ?, lock_level = ?, locked_until = ? WHERE id = 1",
		Math.max(0, s.failures - 1),
		locking ? Math.max(0, s.lock_level - 1) : s.lock_level,
		locking ? 0 : s.locked_until,
	);
}

/** The password was right: its attempt is not a failure (and if it set the lock, the lock goes), and a TOTP challenge opens. */
export function passwordAccepted(
	sql: SqlStorage,
	locking: boolean,
	challenge: { nonce: string; name: string; sealedSeed: string },
	nowSeconds: number,
): number {
	releaseAttempt(sql, locking);
	sql.exec("DELETE FROM challenges WHERE expires_at <= ?", nowSeconds);
	sql.exec(
		`DELETE FROM challenges WHERE nonce IN (SELECT nonce FROM challenges ORDER BY expires_at DESC LIMIT -1 OFFSET ?)`,
		MAX_OPEN_CHALLENGES - 1,
	);
	const expiresAt = nowSeconds + CHALLENGE_TTL_SECONDS;
	sql.exec("INSERT INTO challenges VALUES (?, ?, 0, ?, ?)", challenge.nonce, expiresAt, challenge.name, challenge.sealedSeed);
	return expiresAt;
}

/** Starts a TOTP attempt on an open challenge (each allows CHALLENGE_MAX_ATTEMPTS codes). */
export function beginTotpAttempt(sql: SqlStorage, nonce: string, nowSeconds: number): TotpAttemptStart {
	const challenge = sql
		.exec<{ attempts: number; name: string; sealed_seed: string }>(
			"SELECT attempts, name, sealed_seed FROM challenges WHERE nonce = ? AND expires_at > ?",
			nonce,
			nowSeconds,
		)
		.toArray()[0];
	if (!challenge || challenge.attempts >= CHALLENGE_MAX_ATTEMPTS) return { ok: false, reason: "NO_CHALLENGE" };
	const attempt = beginAttempt(sql, nowSeconds);
	if (!attempt.ok) return { ok: false, reason: "LOCKED", lockedUntil: attempt.lockedUntil };
	sql.exec("UPDATE challenges SET attempts = attempts + 1 WHERE nonce = ?", nonce);
	return {
		ok: true,
		lockedUntil: attempt.lockedUntil,
		sealedSeed: challenge.sealed_seed,
		name: challenge.name,
		lastStep: signInRow(sql).last_totp_step,
	};
}

/**
 * Both factors passed: consumes the challenge, records the TOTP step (refusing one at or before
 * the last accepted, which a parallel request may just have used), resets throttling and opens the session.
 */
export function completeSignIn(
	sql: SqlStorage,
	nonce: string,
	totpStep: number,
	sessionId: string,
	nowSeconds: number,
	expiresAt: number,
): SignInCompletion {
	if (clientRow(sql).status === "disabled") return { ok: false, reason: "CLIENT_DISABLED" };
	const last = signInRow(sql).last_totp_step;
	if (last !== null && totpStep <= last) return { ok: false, reason: "REPLAYED" };
	const challenge = sql
		.exec<{ name: string }>("DELETE FROM challenges WHERE nonce = ? AND expires_at > ? RETURNING name", nonce, nowSeconds)
		.toArray()[0];
	if (!challenge) return { ok: false, reason: "NO_CHALLENGE" };
	// Kept so /api/me answers from here, without Postgres.
	updateClient(sql, { name: challenge.name });
	sql.exec("UPDATE sign_in SET failures = 0, lock_level = 0, locked_until = 0, last_totp_step = ? WHERE id = 1", totpStep);
	openSession(sql, sessionId, nowSeconds, expiresAt);
	return { ok: true };
}
