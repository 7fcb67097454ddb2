// Claims on ops alerts about this client's orders. An alert goes out once per key, however
// often its dead letter is delivered: the first caller claims it; a send that failed gives the
// claim back so the retry sends it; a claim older than ALERT_CLAIM_MS (its sender died) can be
// taken over.

/** Longer than sendAlert can take with its retries. */
const ALERT_CLAIM_MS = 60_000;

export function claimAlert(sql: SqlStorage, key: string): boolean {
	const row = sql.exec<{ state: string; claimed_at: number }>("SELECT state, claimed_at FROM order_alerts WHERE key = ?", key).toArray()[0];
	if (row && (row.state === "sent" || row.claimed_at > Date.now() - ALERT_CLAIM_MS)) return false;
	sql.exec(
		"INSERT INTO order_alerts (key, state, claimed_at) VALUES (?, 'sending', ?) ON CONFLICT (key) DO UPDATE SET state = 'sending', claimed_at = excluded.claimed_at",
		key,
		Date.now(),
	);
	return true;
}

export function settleAlert(sql: SqlStorage, key: string, sent: boolean): void {
	if (sent) sql.exec("UPDATE order_alerts SET state = 'sent' WHERE key = ?", key);
	else sql.exec("DELETE FROM order_alerts WHERE key = ? AND state = 'sending'", key);
}
