// What the Failover object remembers beyond its state: the last hour of probes and replication
// lag (the ops console's charts), the activations (the public status page lists ten), and each
// transition clients are told about until the notices queue took it.
import type { Activation, FailoverHistory, FailoverPhase, NoticeKind, NoticeTransition, ProbeResult } from "../../src/contract";
import { log } from "../../src/observability/log";

/** How often the alarm loop samples replication lag for the ops console's chart. */
export const LAG_SAMPLE_EVERY_MS = 30_000;
/** Probe and lag history kept: the last hour, and never more rows than this. */
export const HISTORY_MS = 3_600_000;
const HISTORY_MAX_PROBE_ROWS = 20_000;
/** Activations kept; the status page shows ten. */
export const ACTIVATIONS_KEPT = 50;

type ActivationRow = { uid: string; started_at: string; ended_at: string | null; source: "auto" | "manual" };
type DispatchRow = { transition_id: string; kind: NoticeKind; at: string; client_ids: string | null };

export function keepHistory(sql: SqlStorage, probes: { p: ProbeResult; kind: "primary" | "oms" }[]): void {
	const now = Date.now();
	for (const { p, kind } of probes) {
		sql.exec(
			"INSERT INTO probe_history (at, target, kind, ok, latency_ms) VALUES (?, ?, ?, ?, ?)",
			now,
			p.url,
			kind,
			p.ok ? 1 : 0,
			p.latencyMs,
		);
	}
	sql.exec("DELETE FROM probe_history WHERE at < ?", now - HISTORY_MS);
	sql.exec("DELETE FROM probe_history WHERE rowid <= (SELECT max(rowid) FROM probe_history) - ?", HISTORY_MAX_PROBE_ROWS);
}

export function lastLagSampleAt(sql: SqlStorage): number {
	return sql.exec<{ at: number | null }>("SELECT max(at) AS at FROM lag_history").one().at ?? 0;
}

/** Records how far behind replication is now (null: Postgres could not say), for the last hour's chart. */
export function recordLag(sql: SqlStorage, lagSeconds: number | null): { at: string; lagSeconds: number | null } {
	const now = Date.now();
	sql.exec("INSERT OR REPLACE INTO lag_history (at, lag_seconds) VALUES (?, ?)", now, lagSeconds);
	sql.exec("DELETE FROM lag_history WHERE at < ?", now - HISTORY_MS);
	return { at: new Date(now).toISOString(), lagSeconds };
}

/** The last hour of probes (per target) and lag samples, for the ops console. */
export function recentHistory(sql: SqlStorage): Omit<FailoverHistory, "metrics"> {
	const since = Date.now() - HISTORY_MS;
	const rows = sql
		.exec<{ at: number; target: string; kind: "primary" | "oms"; ok: number; latency_ms: number }>(
			"SELECT at, target, kind, ok, latency_ms FROM probe_history WHERE at >= ? ORDER BY at",
			since,
		)
		.toArray();
	const targets = new Map<string, FailoverHistory["probes"][number]>();
	for (const r of rows) {
		let t = targets.get(r.target);
		if (!t) {
			t = { target: r.target, kind: r.kind, points: [] };
			targets.set(r.target, t);
		}
		t.points.push({ at: new Date(r.at).toISOString(), ok: r.ok === 1, latencyMs: r.latency_ms });
	}
	const lag = sql
		.exec<{ at: number; lag_seconds: number | null }>("SELECT at, lag_seconds FROM lag_history WHERE at >= ? ORDER BY at", since)
		.toArray()
		.map((r) => ({ at: new Date(r.at).toISOString(), lagSeconds: r.lag_seconds }));
	return { probes: [...targets.values()], lag };
}

/** The newest activations first (at most ACTIVATIONS_KEPT). */
export function activations(sql: SqlStorage, limit = 10): Activation[] {
	return sql
		.exec<ActivationRow>(
			"SELECT uid, started_at, ended_at, source FROM activation ORDER BY seq DESC LIMIT ?",
			Math.min(limit, ACTIVATIONS_KEPT),
		)
		.toArray()
		.map((a) => ({ startedAt: a.started_at, endedAt: a.ended_at, source: a.source }));
}

/**
 * The activation history and the notices' transition ids, in the same synchronous step as the
 * phase. A relapse while fencing (fencing -> active) continues the activation: clients were
 * never told it ended, so they are not told again that it started.
 */
export function recordActivation(
	sql: SqlStorage,
	change: { from: FailoverPhase; to: FailoverPhase; at: string; source: "auto" | "manual" },
	noticeScope: string[] | null,
): void {
	const { from, to, at, source } = change;
	let uid: string | null = null;
	let kind: NoticeKind | null = null;
	if (to === "active" && from === "standby") {
		uid = crypto.randomUUID();
		kind = "activated";
		sql.exec("INSERT INTO activation (uid, started_at, source) VALUES (?, ?, ?)", uid, at, source);
		sql.exec("DELETE FROM activation WHERE seq <= (SELECT max(seq) FROM activation) - ?", ACTIVATIONS_KEPT);
	} else if (to === "standby" && from !== "standby") {
		const open = sql.exec<{ uid: string }>("SELECT uid FROM activation WHERE ended_at IS NULL ORDER BY seq DESC LIMIT 1").toArray()[0];
		// An object that went active before it kept a history has no open activation: its notice still gets an id of its own.
		uid = open?.uid ?? crypto.randomUUID();
		kind = "deactivated";
		sql.exec("UPDATE activation SET ended_at = ? WHERE ended_at IS NULL", at);
	}
	if (uid === null || kind === null) return;
	const scope = noticeScope;
	sql.exec(
		"INSERT OR IGNORE INTO notice_dispatch (transition_id, kind, at, client_ids) VALUES (?, ?, ?, ?)",
		`${uid}:${kind}`,
		kind,
		at,
		scope === null ? null : JSON.stringify(scope),
	);
}

/**
 * Hands each pending transition to the notices queue (its fan-out sends one message per client);
 * a row is deleted once the queue took it, so a failed send is tried again next round. Sending
 * one twice (two events interleaving at the send) is harmless: notices are deduplicated per
 * client and transition id.
 */
export async function dispatchNotices(sql: SqlStorage, env: Env, instance: string): Promise<void> {
	const pending = sql.exec<DispatchRow>("SELECT transition_id, kind, at, client_ids FROM notice_dispatch").toArray();
	for (const d of pending) {
		const clientIds = d.client_ids === null ? null : (JSON.parse(d.client_ids) as string[]);
		if (clientIds?.length !== 0) {
			const transition: NoticeTransition = { id: d.transition_id, kind: d.kind, at: d.at, clientIds };
			try {
				await env.NOTICES.send({ kind: "fanout", transition, after: null, position: 0, startMs: null });
			} catch (err) {
				log("notices.dispatch_failed", { instance, transitionId: d.transition_id, message: String(err) }, "error");
				continue;
			}
			log("notices.dispatched", { instance, transitionId: d.transition_id, kind: d.kind });
		}
		sql.exec("DELETE FROM notice_dispatch WHERE transition_id = ?", d.transition_id);
	}
}
