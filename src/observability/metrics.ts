// GET /ops/metrics: Prometheus text exposition (format 0.0.4). Failover and OMS reachability
// figures come from the Failover Durable Object; order, relay, sign-in, replication and notice figures from Postgres. When
// Postgres is away the Durable Object's part is still served, with lifeboat_metrics_db_up 0.
import { sql } from "drizzle-orm";
import { withDb } from "../db/client";
import { log } from "./log";
import { countingPlatformCalls, platformCalls } from "./platform-calls";
import { type NoticeCounts, noticeCounts } from "../notices/counts";
import { type AuditAction, type FailoverMetrics, ORDER_STATUSES } from "../contract";

/** Audit actions counted, and the metric each becomes. */
const COUNTED_ACTIONS: Partial<Record<AuditAction, { name: string; help: string }>> = {
	"order.relay_retry": { name: "lifeboat_relay_retries_total", help: "Relay attempts to the OMS that will be retried." },
	"order.failed": {
		name: "lifeboat_dead_letters_total",
		help: "Orders that could not be relayed after every retry (FAILED, dead-lettered).",
	},
	"auth.login_failed": {
		name: "lifeboat_login_failures_total",
		help: "Logins of real clients with a wrong password (or a disabled client).",
	},
	"auth.totp_failed": {
		name: "lifeboat_totp_failures_total",
		help: "Failed TOTP steps of real clients (wrong password or wrong code: the answer does not tell which).",
	},
	"auth.locked": { name: "lifeboat_account_locks_total", help: "Addresses locked out of an account after too many tries in a row." },
	"auth.second_factor_locked": {
		name: "lifeboat_second_factor_locks_total",
		help: "Accounts silently locked to unfamiliar addresses after wrong codes with the right password (password likely stolen).",
	},
};

interface DbFigures {
	ordersByStatus: Map<string, number>;
	actions: Map<string, number>;
	newestSourceTsMs: number | null;
	notices: NoticeCounts;
}

class Exposition {
	private readonly lines: string[] = [];
	metric(name: string, type: "gauge" | "counter", help: string, samples: [Record<string, string>, number][]) {
		this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
		for (const [labels, value] of samples) {
			const l = Object.entries(labels)
				.map(([k, v]) => `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`)
				.join(",");
			this.lines.push(`${name}${l ? `{${l}}` : ""} ${value}`);
		}
	}
	toString() {
		return `${this.lines.join("\n")}\n`;
	}
}

async function dbFigures(env: Env, waitUntil: (p: Promise<unknown>) => void): Promise<DbFigures | null> {
	const actions = Object.keys(COUNTED_ACTIONS);
	try {
		const [orders, audit, cursor, notices] = await withDb(
			env,
			"ops-metrics",
			(db) =>
				Promise.all([
					db.execute<{ status: string; n: number }>(
						sql`SELECT status, count(*)::int AS n FROM orders WHERE origin = 'backup' GROUP BY status`,
					),
					db.execute<{ action: string; n: number }>(
						sql`SELECT action, count(*)::int AS n FROM audit_log WHERE action IN (${sql.join(
							actions.map((a) => sql`${a}`),
							sql`, `,
						)}) GROUP BY action`,
					),
					db.execute<{ ts: string | null }>(sql`SELECT max(source_ts_ms)::text AS ts FROM replication_cursor`),
					noticeCounts(db),
				]),
			waitUntil,
		);
		const ts = cursor.rows[0]?.ts;
		return {
			ordersByStatus: new Map(orders.rows.map((r) => [r.status, Number(r.n)])),
			actions: new Map(audit.rows.map((r) => [r.action, Number(r.n)])),
			newestSourceTsMs: ts == null ? null : Number(ts),
			notices,
		};
	} catch (err) {
		log("metrics.db_unavailable", { message: String(err) }, "warn");
		return null;
	}
}

export async function renderMetrics(env: Env, f: FailoverMetrics, waitUntil: (p: Promise<unknown>) => void): Promise<string> {
	const db = await dbFigures(env, waitUntil);
	const out = new Exposition();
	const s = f.state;
	out.metric("lifeboat_failover_active", "gauge", "1 while Lifeboat takes square-offs.", [[{}, s.active ? 1 : 0]]);
	out.metric(
		"lifeboat_failover_phase",
		"gauge",
		"1 for the current failover phase.",
		(["standby", "active", "fencing"] as const).map((p) => [{ phase: p }, s.phase === p ? 1 : 0]),
	);
	out.metric("lifeboat_failover_manual", "gauge", "1 while a manual override holds.", [[{}, s.source === "manual" ? 1 : 0]]);
	out.metric("lifeboat_failover_version", "gauge", "Version of the failover state.", [[{}, s.version]]);
	out.metric("lifeboat_failover_outbox_ready", "gauge", "1 once a failback handed the outbox to the primary.", [
		[{}, s.outboxReady ? 1 : 0],
	]);
	out.metric(
		"lifeboat_failover_transitions_total",
		"counter",
		"Failover transitions, by the state entered.",
		Object.entries(f.transitions).map(([to, n]) => [{ to }, n]),
	);
	out.metric("lifeboat_probe_rounds_total", "counter", "Probe rounds of the primary, by result.", [
		[{ result: "up" }, f.roundsUp],
		[{ result: "down" }, f.roundsDown],
	]);
	out.metric("lifeboat_probe_consecutive", "gauge", "Consecutive probe rounds with the same result.", [
		[{ result: "up" }, f.consecutiveOk],
		[{ result: "down" }, f.consecutiveFail],
	]);
	out.metric(
		"lifeboat_probe_up",
		"gauge",
		"1 if the last probe of this URL passed.",
		f.probes.map((p) => [{ url: p.url }, p.ok ? 1 : 0]),
	);
	out.metric(
		"lifeboat_probe_latency_seconds",
		"gauge",
		"Latency of the last probe of this URL.",
		f.probes.map((p) => [{ url: p.url }, p.latencyMs / 1000]),
	);
	const oms = f.oms;
	out.metric("lifeboat_oms_reachable", "gauge", "1 while the broker's OMS answers its health check (0: square-offs refused).", [
		[{}, oms.reachable ? 1 : 0],
	]);
	out.metric(
		"lifeboat_oms_transitions_total",
		"counter",
		"Changes of the OMS's reachability, by the state entered.",
		Object.entries(oms.transitions).map(([to, n]) => [{ to }, n]),
	);
	out.metric("lifeboat_oms_probe_consecutive_failures", "gauge", "Consecutive failed OMS health probes.", [[{}, oms.consecutiveFail]]);
	if (oms.lastProbe) {
		out.metric("lifeboat_oms_probe_latency_seconds", "gauge", "Latency of the last OMS health probe.", [
			[{}, oms.lastProbe.latencyMs / 1000],
		]);
	}
	out.metric("lifeboat_oms_suspects_total", "counter", "Relay failures that asked for an early OMS probe.", [[{}, oms.suspects]]);
	out.metric("lifeboat_metrics_db_up", "gauge", "1 if Postgres answered the metrics queries.", [[{}, db ? 1 : 0]]);
	if (db) {
		out.metric(
			"lifeboat_orders",
			"gauge",
			"Orders the backup placed, by status.",
			ORDER_STATUSES.map((status) => [{ status }, db.ordersByStatus.get(status) ?? 0]),
		);
		for (const [action, m] of Object.entries(COUNTED_ACTIONS)) {
			out.metric(m.name, "counter", m.help, [[{}, db.actions.get(action) ?? 0]]);
		}
		out.metric("lifeboat_notices_queued_total", "counter", "Notices recorded for clients (one per client and transition).", [
			[{}, db.notices.queued],
		]);
		out.metric("lifeboat_notices_sent_total", "counter", "Notices the SMS/e-mail gateway took.", [[{}, db.notices.sent]]);
		out.metric("lifeboat_notices_failed", "gauge", "Notices given up on (gateway refused or every retry failed), until ops resend them.", [
			[{}, db.notices.failed],
		]);
		out.metric("lifeboat_notices_pending", "gauge", "Notices not handed to the gateway yet.", [[{}, db.notices.pending]]);
		if (db.newestSourceTsMs !== null) {
			out.metric("lifeboat_replication_lag_seconds", "gauge", "Age of the newest change replication has applied.", [
				[{}, Math.max(0, (Date.now() - db.newestSourceTsMs) / 1000)],
			]);
		}
	}
	if (countingPlatformCalls(env)) {
		out.metric(
			"lifeboat_platform_calls_total",
			"counter",
			"Platform calls made by this isolate, by kind (counted only when COUNT_PLATFORM_CALLS is on).",
			Object.entries(platformCalls()).map(([kind, n]) => [{ kind }, n]),
		);
	}
	return out.toString();
}
