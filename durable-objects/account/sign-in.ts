// Sign-in throttling and TOTP challenges (docs/security.md has the design and its numbers).
//
// The password's verdict is never told on its own: every login that is not throttled gets a
// challenge, and the TOTP step fails the same way for a wrong password as for a wrong code.
// So the only guesses that can ever succeed are those with the right password, and only
// those count toward the account-wide limit (a silent lock, so it is no oracle either).
// Everything else is counted per address (IPv4, or an IPv6 /64): a try is a login or a wrong
// code, and the TRIES_PER_ADDRESS-th try in a row from one address locks that address out of
// this account for a while. Other addresses, the owner's among them, are never locked by it.
//
// Known clients keep this state in SQLite. Unknown client ids keep it in memory (MemoryStore)
// and never touch storage, so probing ids stores nothing; both go through the same code.
import type { AddressRecord, SignInStore } from "./sign-in-stores";
import { openSession } from "./sessions";
import { clientRow, updateClient } from "./schema";

/** Logins and wrong codes from one address, in a row without a sign-in, before it is locked out of this account. */
export const TRIES_PER_ADDRESS = 10;
const ADDRESS_FIRST_LOCK_SECONDS = 60;
const ADDRESS_MAX_LOCK_SECONDS = 60 * 60;
/** Wrong codes after the right password, from any untrusted address, before the account's silent lock. */
export const SECOND_FACTOR_FAILURES_PER_LOCK = 10;
const SECOND_FACTOR_FIRST_LOCK_SECONDS = 15 * 60;
const SECOND_FACTOR_MAX_LOCK_SECONDS = 24 * 60 * 60;
/** NIST SP 800-63B: never more than 100 failed attempts in a row; past this the lock holds until a trusted sign-in. */
export const SECOND_FACTOR_HARD_LIMIT = 100;
/** An address the client signed in from stays trusted this long: the account's lock does not apply to it. */
export const TRUSTED_ADDRESS_SECONDS = 30 * 24 * 60 * 60;
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const CHALLENGE_MAX_ATTEMPTS = 3;
const FOREVER = Number.MAX_SAFE_INTEGER;

const freshAddress = (): AddressRecord => ({ tries: 0, lockLevel: 0, lockedUntil: 0, lastAt: 0, trustedUntil: 0 });

/** Not locked, counted once: the try that reaches TRIES_PER_ADDRESS sets the lock (its own answer is unchanged). */
function countTry(store: SignInStore, key: string, nowSeconds: number): number | null {
	const r = store.address(key) ?? freshAddress();
	r.tries += 1;
	r.lastAt = nowSeconds;
	let locked: number | null = null;
	if (r.tries >= TRIES_PER_ADDRESS) {
		locked = nowSeconds + Math.min(ADDRESS_FIRST_LOCK_SECONDS * 2 ** r.lockLevel, ADDRESS_MAX_LOCK_SECONDS);
		r.lockedUntil = locked;
		r.lockLevel += 1;
		r.tries = 0;
	}
	store.saveAddress(key, r, nowSeconds);
	return locked;
}

const addressLock = (store: SignInStore, key: string, nowSeconds: number): number | null => {
	const until = store.address(key)?.lockedUntil ?? 0;
	return until > nowSeconds ? until : null;
};

export type SignInStart = { ok: true; lockedNow: number | null } | { ok: false; lockedUntil: number };

/** A login from `address`: refused while the address is locked out of this account, else counted as a try. */
export function beginSignIn(store: SignInStore, address: string, nowSeconds: number): SignInStart {
	const locked = addressLock(store, address, nowSeconds);
	if (locked !== null) return { ok: false, lockedUntil: locked };
	return { ok: true, lockedNow: countTry(store, address, nowSeconds) };
}

/** Opens the TOTP challenge a login gets, whatever its password's verdict (stored with it, told to no one). */
export function openChallenge(
	store: SignInStore,
	c: { nonce: string; name: string; sealedSeed: string; passwordOk: boolean; address: string },
	nowSeconds: number,
): number {
	const expiresAt = nowSeconds + CHALLENGE_TTL_SECONDS;
	store.addChallenge({ ...c, expiresAt, attempts: 0 }, nowSeconds);
	return expiresAt;
}

export type TotpStart =
	| { ok: true; sealedSeed: string; lastStep: number | null }
	| { ok: false; reason: "LOCKED"; lockedUntil: number }
	| { ok: false; reason: "NO_CHALLENGE" };

/** The challenge's seed to check a code against: the same for a right and a wrong password. */
export function beginTotp(store: SignInStore, nonce: string, address: string, nowSeconds: number): TotpStart {
	const locked = addressLock(store, address, nowSeconds);
	if (locked !== null) return { ok: false, reason: "LOCKED", lockedUntil: locked };
	const c = store.challenge(nonce, nowSeconds);
	if (!c || c.attempts >= CHALLENGE_MAX_ATTEMPTS) return { ok: false, reason: "NO_CHALLENGE" };
	return { ok: true, sealedSeed: c.sealedSeed, lastStep: store.secondFactor().lastStep };
}

/** Why a TOTP step failed: for the audit trail and the logs only, never for the answer. */
export type TotpFailure =
	| "NO_CHALLENGE"
	| "WRONG_PASSWORD"
	| "CLIENT_DISABLED"
	| "WRONG_CODE"
	| "REPLAYED"
	| "SECOND_FACTOR_LOCKED"
	/** Both factors right, but ops disabled the client: the one failure the answer names (403 CLIENT_DISABLED). */
	| "DISABLED_BY_OPS";

export type TotpFinish =
	| { ok: true; name: string }
	| {
			ok: false;
			reason: TotpFailure;
			/** Set when this failure locked the address out of the account. */
			addressLockedUntil: number | null;
			/** Set when this failure set the account's silent lock. */
			secondFactorLockedUntil: number | null;
			secondFactorFailures: number;
	  };

/**
 * Settles a TOTP step. `step` is the code's time step if it matched the challenge's seed (null
 * if not). Success needs the right password, a new step, an active client, and no account lock
 * (or a trusted address). Anything else counts as one try for the address, and (right password
 * only) one failure toward the account's lock.
 */
export function finishTotp(
	store: SignInStore,
	sql: SqlStorage | null,
	a: { nonce: string; step: number | null; address: string; sessionId: string; nowSeconds: number; expiresAt: number },
): TotpFinish {
	const { nonce, address, nowSeconds } = a;
	const c = store.challenge(nonce, nowSeconds);
	const sf = store.secondFactor();
	const addr = store.address(address);
	const trusted = (addr?.trustedUntil ?? 0) > nowSeconds;
	let reason: TotpFailure | null = null;
	if (!c || c.attempts >= CHALLENGE_MAX_ATTEMPTS) reason = "NO_CHALLENGE";
	else if (!c.passwordOk) reason = "WRONG_PASSWORD";
	else if (sql && clientRow(sql).status === "disabled") reason = "CLIENT_DISABLED";
	else if (a.step === null) reason = "WRONG_CODE";
	else if (sf.lastStep !== null && a.step <= sf.lastStep) reason = "REPLAYED";
	else if (sf.lockedUntil > nowSeconds && !trusted) reason = "SECOND_FACTOR_LOCKED";
	// Told only to whoever holds both factors, so it is no oracle for strangers; counts as no try.
	else if (sql && clientRow(sql).ops_disabled_at !== null)
		return {
			ok: false,
			reason: "DISABLED_BY_OPS",
			addressLockedUntil: null,
			secondFactorLockedUntil: null,
			secondFactorFailures: sf.failures,
		};

	if (reason === null && c && a.step !== null && sql) {
		store.deleteChallenge(nonce);
		// Kept so /api/me answers from here, without Postgres.
		updateClient(sql, { name: c.name });
		store.saveSecondFactor({ failures: 0, lockLevel: 0, lockedUntil: 0, lastStep: a.step });
		store.saveAddress(address, { ...freshAddress(), lastAt: nowSeconds, trustedUntil: nowSeconds + TRUSTED_ADDRESS_SECONDS }, nowSeconds);
		openSession(sql, a.sessionId, nowSeconds, a.expiresAt);
		return { ok: true, name: c.name };
	}
	const failure = reason ?? "WRONG_CODE";
	if (c && failure !== "NO_CHALLENGE") {
		if (c.attempts + 1 >= CHALLENGE_MAX_ATTEMPTS) store.deleteChallenge(nonce);
		else store.setChallengeAttempts(nonce, c.attempts + 1);
	}
	// A code for a challenge that is gone counts like any wrong one: whether a challenge still
	// exists (the account's cap keeps the right password's longest) must tell a stranger nothing.
	const addressLockedUntil = countTry(store, address, nowSeconds);
	let secondFactorLockedUntil: number | null = null;
	// Only a right password makes a guess that could succeed: only those count for the account.
	if (c?.passwordOk && (failure === "WRONG_CODE" || failure === "REPLAYED" || failure === "SECOND_FACTOR_LOCKED") && !trusted) {
		sf.failures += 1;
		if (sf.failures >= SECOND_FACTOR_HARD_LIMIT) secondFactorLockedUntil = FOREVER;
		else if (sf.failures % SECOND_FACTOR_FAILURES_PER_LOCK === 0)
			secondFactorLockedUntil = nowSeconds + Math.min(SECOND_FACTOR_FIRST_LOCK_SECONDS * 2 ** sf.lockLevel, SECOND_FACTOR_MAX_LOCK_SECONDS);
		if (secondFactorLockedUntil !== null) {
			sf.lockedUntil = Math.max(sf.lockedUntil, secondFactorLockedUntil);
			sf.lockLevel += 1;
		}
		store.saveSecondFactor(sf);
	}
	return { ok: false, reason: failure, addressLockedUntil, secondFactorLockedUntil, secondFactorFailures: sf.failures };
}

/** When a client is enabled again, its sign-in locks start over (trusted addresses stay trusted). */
export function resetSignIn(sql: SqlStorage): void {
	sql.exec("UPDATE sign_in SET failures = 0, lock_level = 0, locked_until = 0 WHERE id = 1");
	sql.exec("UPDATE sign_in_addresses SET tries = 0, lock_level = 0, locked_until = 0");
}
