// Idempotency-Key records (IETF draft semantics, Stripe-style replay): the first outcome of a
// key is stored and answered again for the same request; another request under the same key is
// refused, and so is the same key while its first request still runs. Kept 24 h.
import type { Outcome } from "../../src/contract";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * null: go ahead (the key is now in flight); otherwise the outcome to answer. A key's hash
 * covers method, path and body, so a stored outcome is always one of the same operation's.
 */
export function beginIdempotent<T extends object>(sql: SqlStorage, key: string, hash: string): Outcome<T> | null {
	const known = storedOutcome<T>(sql, key, hash);
	if (known) return known;
	sql.exec("INSERT OR REPLACE INTO idempotency_keys (key, hash, outcome, created_at) VALUES (?, ?, NULL, ?)", key, hash, Date.now());
	return null;
}

/** What a key already answers (its outcome, or why it cannot be used); null for a key not seen in the last 24 h. Writes nothing. */
export function storedOutcome<T extends object>(sql: SqlStorage, key: string, hash: string): Outcome<T> | null {
	const row = sql
		.exec<{ hash: string; outcome: string | null; created_at: number }>(
			"SELECT hash, outcome, created_at FROM idempotency_keys WHERE key = ?",
			key,
		)
		.toArray()[0];
	if (row && row.created_at > Date.now() - IDEMPOTENCY_TTL_MS) {
		if (row.hash !== hash) {
			return { ok: false, refusal: { code: "IDEMPOTENCY_KEY_REUSED", detail: "this Idempotency-Key was used with a different request" } };
		}
		if (row.outcome === null) {
			return { ok: false, refusal: { code: "IDEMPOTENCY_KEY_IN_FLIGHT", detail: "a request with this Idempotency-Key is still running" } };
		}
		return JSON.parse(row.outcome) as Outcome<T>;
	}
	return null;
}

export function finishIdempotent<T extends object>(sql: SqlStorage, key: string, outcome: Outcome<T>): Outcome<T> {
	sql.exec("UPDATE idempotency_keys SET outcome = ? WHERE key = ?", JSON.stringify(outcome), key);
	return outcome;
}

/** Nothing was decided (our side failed first): the key is free for the client's retry. */
export function forgetIdempotent(sql: SqlStorage, key: string): void {
	sql.exec("DELETE FROM idempotency_keys WHERE key = ?", key);
}

/** Drops expired keys; the time the oldest left expires, or null when none is left. */
export function expireIdempotent(sql: SqlStorage): number | null {
	sql.exec("DELETE FROM idempotency_keys WHERE created_at <= ?", Date.now() - IDEMPOTENCY_TTL_MS);
	const oldest = sql.exec<{ at: number | null }>("SELECT MIN(created_at) AS at FROM idempotency_keys").one().at;
	return oldest === null ? null : oldest + IDEMPOTENCY_TTL_MS;
}
