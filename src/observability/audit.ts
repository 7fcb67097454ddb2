// The audit trail: entries go on the records queue and reach Postgres (audit_log + outbox)
// through queues/records.ts, so no request waits on Postgres to be audited.
import type { AuditAction, AuditEntry, RecordMessage } from "../contract";

export function auditEntry(action: AuditAction, actor: string, clientId: string | null, detail: Record<string, unknown> = {}): AuditEntry {
	return { id: crypto.randomUUID(), at: new Date().toISOString(), clientId, actor, action, detail };
}

export async function audit(env: Pick<Env, "RECORDS">, ...entries: AuditEntry[]): Promise<void> {
	if (entries.length === 0) return;
	await env.RECORDS.send({ kind: "records", records: entries.map((entry) => ({ kind: "audit", entry }) as const) } satisfies RecordMessage);
}
