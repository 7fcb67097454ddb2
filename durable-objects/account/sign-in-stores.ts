// Where sign-in state lives: a known client's in the Account's SQLite (SqlStore), an unknown
// client id's in memory only (MemoryStore), so probing ids stores nothing. sign-in.ts decides;
// these only keep, bound and forget.

/** An address's record is forgotten this long after its last try (unless locked or trusted). */
const ADDRESS_MEMORY_SECONDS = 24 * 60 * 60;
/** Open challenges per account: beyond it the oldest go first (wrong passwords' before the right one's), so a spray cannot grow storage without end. */
export const MAX_OPEN_CHALLENGES = 2000;
const MAX_REMEMBERED_ADDRESSES = 5000;
/** Not locked, not trusted, and untried for ADDRESS_MEMORY_SECONDS. */
const forgettable = (r: AddressRecord, nowSeconds: number) =>
	r.lastAt < nowSeconds - ADDRESS_MEMORY_SECONDS && r.lockedUntil < nowSeconds && r.trustedUntil < nowSeconds;
const CHALLENGES_PER_ADDRESS = 3;

export interface AddressRecord {
	tries: number;
	lockLevel: number;
	lockedUntil: number;
	lastAt: number;
	trustedUntil: number;
}

export interface ChallengeRecord {
	nonce: string;
	expiresAt: number;
	attempts: number;
	name: string;
	sealedSeed: string;
	passwordOk: boolean;
	address: string;
}

/** Account-wide: wrong codes after the right password, and the silent lock they set. */
export interface SecondFactorRecord {
	failures: number;
	lockLevel: number;
	lockedUntil: number;
	lastStep: number | null;
}

/** Where sign-in state lives: SQLite for a known client, memory for an unknown id. */
export interface SignInStore {
	address(key: string): AddressRecord | null;
	saveAddress(key: string, r: AddressRecord, nowSeconds: number): void;
	challenge(nonce: string, nowSeconds: number): ChallengeRecord | null;
	addChallenge(c: ChallengeRecord, nowSeconds: number): void;
	setChallengeAttempts(nonce: string, attempts: number): void;
	deleteChallenge(nonce: string): void;
	secondFactor(): SecondFactorRecord;
	saveSecondFactor(r: SecondFactorRecord): void;
}

interface AddressRow extends Record<string, SqlStorageValue> {
	tries: number;
	lock_level: number;
	locked_until: number;
	last_at: number;
	trusted_until: number;
}

interface ChallengeRow extends Record<string, SqlStorageValue> {
	nonce: string;
	expires_at: number;
	attempts: number;
	name: string;
	sealed_seed: string;
	password_ok: number;
	address: string;
}

/** A known client's sign-in state, in the Account's SQLite. */
export class SqlStore implements SignInStore {
	constructor(private readonly sql: SqlStorage) {}

	address(key: string): AddressRecord | null {
		const r = this.sql
			.exec<AddressRow>("SELECT tries, lock_level, locked_until, last_at, trusted_until FROM sign_in_addresses WHERE address = ?", key)
			.toArray()[0];
		return r
			? { tries: r.tries, lockLevel: r.lock_level, lockedUntil: r.locked_until, lastAt: r.last_at, trustedUntil: r.trusted_until }
			: null;
	}

	saveAddress(key: string, r: AddressRecord, nowSeconds: number): void {
		this.sql.exec(
			`INSERT INTO sign_in_addresses (address, tries, lock_level, locked_until, last_at, trusted_until) VALUES (?, ?, ?, ?, ?, ?)
			 ON CONFLICT (address) DO UPDATE SET tries = excluded.tries, lock_level = excluded.lock_level,
			 locked_until = excluded.locked_until, last_at = excluded.last_at, trusted_until = excluded.trusted_until`,
			key,
			r.tries,
			r.lockLevel,
			r.lockedUntil,
			r.lastAt,
			r.trustedUntil,
		);
		if (r.tries > 1 || r.lockLevel > 0) return;
		// A new record: forget the stale ones, and keep the table bounded (trusted ones last to go).
		this.sql.exec(
			"DELETE FROM sign_in_addresses WHERE last_at < ? AND locked_until < ? AND trusted_until < ?",
			nowSeconds - ADDRESS_MEMORY_SECONDS,
			nowSeconds,
			nowSeconds,
		);
		this.sql.exec(
			`DELETE FROM sign_in_addresses WHERE address IN (
				SELECT address FROM sign_in_addresses ORDER BY trusted_until > ? DESC, last_at DESC LIMIT -1 OFFSET ?)`,
			nowSeconds,
			MAX_REMEMBERED_ADDRESSES,
		);
	}

	challenge(nonce: string, nowSeconds: number): ChallengeRecord | null {
		const r = this.sql
			.exec<ChallengeRow>(
				"SELECT nonce, expires_at, attempts, name, sealed_seed, password_ok, address FROM challenges WHERE nonce = ? AND expires_at > ?",
				nonce,
				nowSeconds,
			)
			.toArray()[0];
		return r
			? {
					nonce: r.nonce,
					expiresAt: r.expires_at,
					attempts: r.attempts,
					name: r.name,
					sealedSeed: r.sealed_seed,
					passwordOk: r.password_ok === 1,
					address: r.address,
				}
			: null;
	}

	addChallenge(c: ChallengeRecord, nowSeconds: number): void {
		this.sql.exec("DELETE FROM challenges WHERE expires_at <= ?", nowSeconds);
		this.sql.exec(
			"DELETE FROM challenges WHERE nonce IN (SELECT nonce FROM challenges WHERE address = ? ORDER BY expires_at DESC LIMIT -1 OFFSET ?)",
			c.address,
			CHALLENGES_PER_ADDRESS - 1,
		);
		// Wrong passwords' challenges go first: a spray from many addresses cannot push out the owner's.
		this.sql.exec(
			"DELETE FROM challenges WHERE nonce IN (SELECT nonce FROM challenges ORDER BY password_ok DESC, expires_at DESC LIMIT -1 OFFSET ?)",
			MAX_OPEN_CHALLENGES - 1,
		);
		this.sql.exec(
			"INSERT INTO challenges (nonce, expires_at, attempts, name, sealed_seed, password_ok, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.nonce,
			c.expiresAt,
			c.attempts,
			c.name,
			c.sealedSeed,
			c.passwordOk ? 1 : 0,
			c.address,
		);
	}

	setChallengeAttempts(nonce: string, attempts: number): void {
		this.sql.exec("UPDATE challenges SET attempts = ? WHERE nonce = ?", attempts, nonce);
	}

	deleteChallenge(nonce: string): void {
		this.sql.exec("DELETE FROM challenges WHERE nonce = ?", nonce);
	}

	secondFactor(): SecondFactorRecord {
		const r = this.sql
			.exec<{ failures: number; lock_level: number; locked_until: number; last_totp_step: number | null }>(
				"SELECT failures, lock_level, locked_until, last_totp_step FROM sign_in WHERE id = 1",
			)
			.one();
		return { failures: r.failures, lockLevel: r.lock_level, lockedUntil: r.locked_until, lastStep: r.last_totp_step };
	}

	saveSecondFactor(r: SecondFactorRecord): void {
		this.sql.exec(
			"UPDATE sign_in SET failures = ?, lock_level = ?, locked_until = ?, last_totp_step = ? WHERE id = 1",
			r.failures,
			r.lockLevel,
			r.lockedUntil,
			r.lastStep,
		);
	}
}

/**
 * An unknown client id's sign-in state: in memory only, bounded, gone when the object is
 * evicted. It answers exactly as the SQLite store does while it lives.
 */
export class MemoryStore implements SignInStore {
	private readonly addresses = new Map<string, AddressRecord>();
	private readonly challenges = new Map<string, ChallengeRecord>();
	private sf: SecondFactorRecord = { failures: 0, lockLevel: 0, lockedUntil: 0, lastStep: null };

	address(key: string): AddressRecord | null {
		const r = this.addresses.get(key);
		return r ? { ...r } : null;
	}

	saveAddress(key: string, r: AddressRecord, nowSeconds: number): void {
		// Re-inserted, so the map runs from the least to the most recently tried address.
		this.addresses.delete(key);
		this.addresses.set(key, { ...r });
		for (const [k, v] of this.addresses) {
			if (this.addresses.size <= MAX_REMEMBERED_ADDRESSES && !forgettable(v, nowSeconds)) break;
			this.addresses.delete(k);
		}
	}

	challenge(nonce: string, nowSeconds: number): ChallengeRecord | null {
		const c = this.challenges.get(nonce);
		return c && c.expiresAt > nowSeconds ? { ...c } : null;
	}

	addChallenge(c: ChallengeRecord, nowSeconds: number): void {
		for (const [k, v] of this.challenges) if (v.expiresAt <= nowSeconds) this.challenges.delete(k);
		const mine = [...this.challenges.values()].filter((v) => v.address === c.address);
		for (const old of mine.slice(0, Math.max(0, mine.length - (CHALLENGES_PER_ADDRESS - 1)))) this.challenges.delete(old.nonce);
		for (const k of this.challenges.keys()) {
			if (this.challenges.size < MAX_OPEN_CHALLENGES) break;
			this.challenges.delete(k);
		}
		this.challenges.set(c.nonce, { ...c });
	}

	setChallengeAttempts(nonce: string, attempts: number): void {
		const c = this.challenges.get(nonce);
		if (c) c.attempts = attempts;
	}

	deleteChallenge(nonce: string): void {
		this.challenges.delete(nonce);
	}

	secondFactor(): SecondFactorRecord {
		return { ...this.sf };
	}

	saveSecondFactor(r: SecondFactorRecord): void {
		this.sf = { ...r };
	}
}
