// After a batch commits, the Account Durable Objects of the clients it touched are told, so
// live state (positions, pending orders, whether the client may trade) follows Postgres.
// Postgres stays the truth: a client whose Account could not be told catches up on its next
// refresh, so a failure here is logged and never fails the batch (already committed).
import { logForClient } from "../observability/log";

const CONCURRENCY = 25;
const CALL_TIMEOUT_MS = 5_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function notifyAccounts(
	env: Pick<Env, "ACCOUNTS">,
	changed: { refresh: string[]; status: Record<string, "active" | "disabled"> },
): Promise<{ notified: number; failed: number }> {
	const clientIds = [...new Set([...Object.keys(changed.status), ...changed.refresh])];
	const refresh = new Set(changed.refresh);
	let failed = 0;
	for (let i = 0; i < clientIds.length; i += CONCURRENCY) {
		const failures = await Promise.all(
			clientIds.slice(i, i + CONCURRENCY).map(async (clientId) => {
				try {
					const account = env.ACCOUNTS.getByName(clientId);
					const status = changed.status[clientId];
					if (status) await within(account.setClientStatus(status), CALL_TIMEOUT_MS);
					if (refresh.has(clientId)) await within(account.refreshPositions(clientId), CALL_TIMEOUT_MS);
					return null;
				} catch (err) {
					return { clientId, message: String(err) };
				}
			}),
		);
		for (const f of failures) {
			if (!f) continue;
			failed++;
			await logForClient("sync.notify_failed", f.clientId, { message: f.message }, "error");
		}
	}
	return { notified: clientIds.length - failed, failed };
}
