// The audit trail: entries go on the records queue and reach Postgres (audit_log + outbox)
// through queues/records.ts, so no request waits on Postgres to be audited.
import type { AuditAction, AuditEntry, RecordMessage } from "../contract";
import { recordsQueue } from "../queue-shards";

export function auditEntry(action: AuditAction, actor: string, clientId: string | null, detail: Record<string, unknown> = {}): AuditEntry {
	return { id: crypto.randomUUID(), at: new Date().toISOString(), clientId, actor, action, detail };
}

/** The entries go in one message, on the shard of the first entry's client. */
export async function audit(env: Env, ...entries: AuditEntry[]): Promise<void> {
	const [first] = entries;
	if (!first) return;
	await recordsQueue(env, first.clientId).send({
		kind: "records",
		records: entries.map((entry) => ({ kind: "audit", entry }) as const),
	} satisfies RecordMessage);
}
