// The single source of truth for whether Lifeboat is taking orders. One instance ("global").
// It probes the primary on an alarm loop (the cron only makes sure the loop is alive), decides
// with consecutive-round thresholds, fences before failback, and announces each transition
// once: KV mirror (fast reads, src/failover/state.ts), alert webhook, audit entry, log line.
// Each round also probes the broker's OMS (`{OMS_URL}/health`): omsFailThreshold failed probes
// in a row make it unreachable (square-offs get 503 OMS_UNAVAILABLE), one good probe reachable
// again; each change is announced the same way. Relay failures only bring the next round forward
// (omsSuspect): one client's failing orders must not refuse everyone's exits.
// It keeps the last ACTIVATIONS_KEPT activations (the public status page lists ten) and, for
// each transition clients are told about (standby -> active, back to standby), a transition id
// that is unique for ever; the notices fan-out (queues/notices.ts) sends one message per client
// and id. A dispatch row stays until the notices queue took it (retried every round).
// A deployed Lifeboat whose configuration is incomplete (src/config/guard.ts) never goes active:
// ops are alerted when the round first sees it, and again when the primary fails while it lasts.
import { DurableObject } from "cloudflare:workers";
import { and, eq, inArray, max, sql as dsql } from "drizzle-orm";
import { configProblems, describeProblems } from "../src/config/guard";
import { sendAlert } from "../src/observability/alerts";
import { audit, auditEntry } from "../src/observability/audit";
import { schema, withDb } from "../src/db/client";
import { type ProbeConfig, ProbeConfigOverrides, probeConfig } from "../src/failover/config";
import { log } from "../src/observability/log";
import { probe, probeRound } from "../src/failover/probe";
import type {
	Activation,
	AuditAction,
	FailoverHistory,
	FailoverMetrics,
	FailoverPhase,
	FailoverState,
	NoticeKind,
	NoticeTransition,
	OmsMetrics,
	Outcome,
	OmsTransition,
	ProbeResult,
	Transition,
} from "../src/contract";
import { FAILOVER_INSTANCE, failoverKvKey } from "../src/failover/state";
import { countedEnv } from "../src/observability/platform-calls";
import { dataFreshness } from "../src/replication/freshness";

type StateRow = {
	active: number;
	since: string | null;
	reason: string | null;
	source: "auto" | "manual";
	version: number;
	phase: FailoverPhase;
	outbox_ready: number;
	outbox_up_to: number | null;
	fence_started: number | null;
	consecutive_fail: number;
	consecutive_ok: number;
	rounds_up: number;
	rounds_down: number;
	to_active: number;
	to_fencing: number;
	to_standby: number;
	mirrored_version: number;
	last_round_at: number | null;
	overrides: string;
};

type OmsRow = {
	reachable: number;
	since: string | null;
	consecutive_fail: number;
	consecutive_ok: number;
	to_unreachable: number;
	to_reachable: number;
	suspects: number;
	last_url: string | null;
	last_ok: number | null;
	last_status: number | null;
	last_latency_ms: number | null;
	last_error: string | null;
	last_at: number | null;
};

export interface RoundOutcome {
	up: boolean;
	results: ProbeResult[];
	transition: Transition | null;
	/** The OMS health probe of this round (null when no OMS health URL is configured) and the change it made. */
	oms: { probe: ProbeResult | null; transition: OmsTransition | null };
	state: FailoverState;
}

/** How often the alarm loop samples replication lag for the ops console's chart. */
export const LAG_SAMPLE_EVERY_MS = 30_000;
/** Probe and lag history kept: the last hour, and never more rows than this. */
export const HISTORY_MS = 3_600_000;
const HISTORY_MAX_PROBE_ROWS = 20_000;

/** Who made a transition: the operator of a manual override ("ops:<operator>"), or the probes ("system"). */
const transitionActor = (source: "auto" | "manual", operator: unknown) =>
	source === "auto" ? "system" : typeof operator === "string" ? `ops:${operator}` : "ops";

type ActivationRow = { uid: string; started_at: string; ended_at: string | null; source: "auto" | "manual" };
type DispatchRow = { transition_id: string; kind: NoticeKind; at: string; client_ids: string | null };

/** Activations kept; the status page shows ten. */
export const ACTIVATIONS_KEPT = 50;

const AUDIT_ACTION: Record<Transition, AuditAction> = {
	activated: "failover.activated",
	fenced: "failover.fenced",
	deactivated: "failover.deactivated",
};

export class Failover extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private readonly instance: string;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, countedEnv(env));
		this.sql = ctx.storage.sql;
		this.instance = ctx.id.name ?? FAILOVER_INSTANCE;
		ctx.blockConcurrencyWhile(async () => {
			this.sql.exec(`CREATE TABLE IF NOT EXISTS state (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				active INTEGER NOT NULL DEFAULT 0,
				since TEXT,
				reason TEXT,
				source TEXT NOT NULL DEFAULT 'auto',
				version INTEGER NOT NULL DEFAULT 0,
				phase TEXT NOT NULL DEFAULT 'standby',
				outbox_ready INTEGER NOT NULL DEFAULT 0,
				outbox_up_to INTEGER,
				fence_started INTEGER,
				consecutive_fail INTEGER NOT NULL DEFAULT 0,
				consecutive_ok INTEGER NOT NULL DEFAULT 0,
				rounds_up INTEGER NOT NULL DEFAULT 0,
				rounds_down INTEGER NOT NULL DEFAULT 0,
				to_active INTEGER NOT NULL DEFAULT 0,
				to_fencing INTEGER NOT NULL DEFAULT 0,
				to_standby INTEGER NOT NULL DEFAULT 0,
				mirrored_version INTEGER NOT NULL DEFAULT -1,
				last_round_at INTEGER,
				overrides TEXT NOT NULL DEFAULT '{}'
			)`);
			this.sql.exec("INSERT OR IGNORE INTO state (id) VALUES (1)");
			this.sql.exec(`CREATE TABLE IF NOT EXISTS probe (
				url TEXT PRIMARY KEY, ok INTEGER NOT NULL, status INTEGER, latency_ms INTEGER NOT NULL, error TEXT, at INTEGER NOT NULL
			)`);
			// A table of its own (not columns of state): objects created before it need no ALTER.
			this.sql.exec(`CREATE TABLE IF NOT EXISTS oms (
				id INTEGER PRIMARY KEY CHECK (id = 1),
				reachable INTEGER NOT NULL DEFAULT 1,
				since TEXT,
				consecutive_fail INTEGER NOT NULL DEFAULT 0,
				consecutive_ok INTEGER NOT NULL DEFAULT 0,
				to_unreachable INTEGER NOT NULL DEFAULT 0,
				to_reachable INTEGER NOT NULL DEFAULT 0,
				suspects INTEGER NOT NULL DEFAULT 0,
				last_url TEXT,
				last_ok INTEGER,
				last_status INTEGER,
				last_latency_ms INTEGER,
				last_error TEXT,
				last_at INTEGER
			)`);
			this.sql.exec("INSERT OR IGNORE INTO oms (id) VALUES (1)");
			// The last hour of probes (primary URLs and the OMS) and of replication lag, for the ops console.
			this.sql.exec(`CREATE TABLE IF NOT EXISTS probe_history (
				at INTEGER NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, ok INTEGER NOT NULL, latency_ms INTEGER NOT NULL
			)`);
			this.sql.exec("CREATE INDEX IF NOT EXISTS probe_history_at ON probe_history (at)");
			this.sql.exec("CREATE TABLE IF NOT EXISTS lag_history (at INTEGER PRIMARY KEY, lag_seconds INTEGER)");

			this.sql.exec(`CREATE TABLE IF NOT EXISTS activation (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				uid TEXT NOT NULL UNIQUE,
				started_at TEXT NOT NULL,
				ended_at TEXT,
				source TEXT NOT NULL
			)`);
			// Transitions whose notices the notices queue has not taken yet (client_ids: JSON scope, null = everyone).
			this.sql.exec(`CREATE TABLE IF NOT EXISTS notice_dispatch (
				transition_id TEXT PRIMARY KEY,
				kind TEXT NOT NULL,
				at TEXT NOT NULL,
				client_ids TEXT
			)`);

			// The config guard's last finding ("" = none), so ops are alerted once per change.
			this.sql.exec("CREATE TABLE IF NOT EXISTS config_guard (id INTEGER PRIMARY KEY CHECK (id = 1), problems TEXT NOT NULL DEFAULT '')");
			this.sql.exec("INSERT OR IGNORE INTO config_guard (id) VALUES (1)");
		});
	}

	private row(): StateRow {
		return this.sql.exec<StateRow>("SELECT * FROM state WHERE id = 1").one();
	}

	private omsRow(): OmsRow {
		return this.sql.exec<OmsRow>("SELECT * FROM oms WHERE id = 1").one();
	}

	state(): FailoverState {
		const r = this.row();
		const o = this.omsRow();
		return {
			active: r.active === 1,
			since: r.since,
			reason: r.reason,
			source: r.source,
			version: r.version,
			phase: r.phase,
			outboxReady: r.outbox_ready === 1,
			outboxUpTo: r.outbox_up_to,
			oms: { reachable: o.reachable === 1, since: o.since },
		};
	}

	/** The newest activations first (at most ACTIVATIONS_KEPT). */
	activations(limit = 10): Activation[] {
		return this.sql
			.exec<ActivationRow>(
				"SELECT uid, started_at, ended_at, source FROM activation ORDER BY seq DESC LIMIT ?",
				Math.min(limit, ACTIVATIONS_KEPT),
			)
			.toArray()
			.map((a) => ({ startedAt: a.started_at, endedAt: a.ended_at, source: a.source }));
	}

	config(): ProbeConfig {
		return probeConfig(this.env, ProbeConfigOverrides.parse(JSON.parse(this.row().overrides)));
	}

	/** Per-instance overrides of the configuration (drills, tests); `{}` goes back to the vars. */
	configure(overrides: ProbeConfigOverrides): ProbeConfig {
		this.sql.exec("UPDATE state SET overrides = ? WHERE id = 1", JSON.stringify(ProbeConfigOverrides.parse(overrides)));
		return this.config();
	}

	/** Called by the cron: makes sure the alarm loop is alive (an alarm can be lost or stuck); a dead loop probes at once. */
	async ensureLoop(): Promise<{ restarted: boolean }> {
		await this.dispatchNotices();
		const alarm = await this.ctx.storage.getAlarm();
		const stuckAfterMs = 3 * this.config().intervalSeconds * 1000;
		if (alarm !== null && alarm > Date.now() - stuckAfterMs) return { restarted: false };
		await this.ctx.storage.setAlarm(Date.now());
		log("failover.loop_restarted", { instance: this.instance });
		return { restarted: true };
	}

	async alarm(): Promise<void> {
		const started = Date.now();
		try {
			await this.probeRound();
			if (Date.now() - this.lastLagSampleAt() >= LAG_SAMPLE_EVERY_MS) await this.sampleReplicationLag();
		} finally {
			const r = this.row();
			const cfg = this.config();
			const suspect = r.consecutive_fail > 0 || r.phase === "fencing" || this.omsRow().consecutive_fail > 0;
			const next = started + (suspect ? cfg.suspectIntervalSeconds : cfg.intervalSeconds) * 1000;
			await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
		}
	}

	/**
	 * A relay call got no definite answer or a 5xx from the OMS: the next round (which probes the
	 * OMS) comes within the suspect interval instead of a full one. It never flips reachability by
	 * itself. Without a running loop (no alarm) nothing is scheduled: the cron restarts a lost loop.
	 */
	async omsSuspect(): Promise<{ nextRoundAt: string | null }> {
		this.sql.exec("UPDATE oms SET suspects = suspects + 1 WHERE id = 1");
		const alarm = await this.ctx.storage.getAlarm();
		if (alarm === null) return { nextRoundAt: null };
		const soon = Date.now() + this.config().suspectIntervalSeconds * 1000;
		if (alarm > soon) {
			await this.ctx.storage.setAlarm(soon);
			log("oms.suspect", { instance: this.instance, broughtForwardMs: alarm - soon });
		}
		return { nextRoundAt: new Date(Math.min(alarm, soon)).toISOString() };
	}

	/** One round: probe every URL, count, decide. Probes run and are recorded under a manual override too; they just don't flip. */
	async probeRound(): Promise<RoundOutcome> {
		const cfg = this.config();
		const omsUrl = cfg.omsHealthUrl;
		const [primary, omsProbe] = await Promise.all([
			cfg.targets.length === 0 ? null : probeRound(cfg.targets, cfg.timeoutMs),
			omsUrl === null ? null : probe({ url: omsUrl, expectStatus: 200 }, cfg.timeoutMs),
		]);
		await this.checkConfig();
		// From here to the decisions there is no I/O: a concurrent round cannot interleave.
		const blockers = configProblems(this.env);
		const omsTransition = this.countOms(omsProbe, cfg.omsFailThreshold);
		const oms = { probe: omsProbe, transition: omsTransition };
		this.keepHistory([
			...(primary?.results ?? []).map((p) => ({ p, kind: "primary" as const })),
			...(omsProbe ? [{ p: omsProbe, kind: "oms" as const }] : []),
		]);
		if (primary === null) {
			log("failover.no_targets", { instance: this.instance }, "error");
			if (omsTransition) await this.announceOms(omsTransition);
			else await this.retryMirror();
			return { up: false, results: [], transition: null, oms, state: this.state() };
		}
		const { up, results } = primary;
		const now = Date.now();
		for (const p of results) {
			this.sql.exec(
				"INSERT OR REPLACE INTO probe (url, ok, status, latency_ms, error, at) VALUES (?, ?, ?, ?, ?, ?)",
				p.url,
				p.ok ? 1 : 0,
				p.status,
				p.latencyMs,
				p.error,
				now,
			);
		}
		this.sql.exec(
			up
				? "UPDATE state SET consecutive_ok = consecutive_ok + 1, consecutive_fail = 0, rounds_up = rounds_up + 1, last_round_at = ? WHERE id = 1"
				: "UPDATE state SET consecutive_fail = consecutive_fail + 1, consecutive_ok = 0, rounds_down = rounds_down + 1, last_round_at = ? WHERE id = 1",
			now,
		);
		const r = this.row();
		log("failover.probe_round", {
			instance: this.instance,
			up,
			consecutiveFail: r.consecutive_fail,
			consecutiveOk: r.consecutive_ok,
			probes: results.map(({ url, ok, status, latencyMs, error }) => ({ url, ok, status, latencyMs, error })),
			oms: omsProbe && { ok: omsProbe.ok, status: omsProbe.status, latencyMs: omsProbe.latencyMs, error: omsProbe.error },
		});

		let transition: Transition | null = null;
		let refusedActivation = false;
		if (r.source === "auto" && !up && r.consecutive_fail >= cfg.failThreshold && r.phase !== "active") {
			const failing = results.find((p) => !p.ok);
			const why = `primary failed ${r.consecutive_fail} health rounds in a row (${failing?.url}: ${failing?.error})`;
			if (blockers.length === 0) transition = this.enter("active", why, "auto");
			else refusedActivation = r.consecutive_fail === cfg.failThreshold; // alerted once per outage
		} else if (r.source === "auto" && up && r.consecutive_ok >= cfg.recoverThreshold && r.phase === "active") {
			transition = this.enter("fencing", `primary healthy for ${r.consecutive_ok} rounds in a row`, "auto");
		}
		if (transition) await this.announce(transition);
		if (refusedActivation) await this.announceRefusal(describeProblems(blockers));
		if (omsTransition) await this.announceOms(omsTransition);
		if (!transition && !omsTransition) await Promise.all([this.retryMirror(), this.dispatchNotices()]);
		const fenced = await this.advanceFence();
		return { up, results, transition: fenced ?? transition, oms, state: this.state() };
	}

	/**
	 * Counts one OMS health probe and decides (no I/O): unreachable after omsFailThreshold failures
	 * in a row, reachable after one good probe. No URL configured: the OMS is taken as reachable.
	 */
	private countOms(p: ProbeResult | null, failThreshold: number): OmsTransition | null {
		if (p === null) return this.omsRow().reachable === 1 ? null : this.enterOms("reachable");
		this.sql.exec(
			`UPDATE oms SET ${p.ok ? "consecutive_ok = consecutive_ok + 1, consecutive_fail = 0" : "consecutive_fail = consecutive_fail + 1, consecutive_ok = 0"},
				last_url = ?, last_ok = ?, last_status = ?, last_latency_ms = ?, last_error = ?, last_at = ? WHERE id = 1`,
			p.url,
			p.ok ? 1 : 0,
			p.status,
			p.latencyMs,
			p.error,
			Date.now(),
		);
		const o = this.omsRow();
		if (o.reachable === 1 && !p.ok && o.consecutive_fail >= failThreshold) return this.enterOms("unreachable");
		if (o.reachable === 0 && p.ok) return this.enterOms("reachable");
		return null;
	}

	/** Writes the OMS's new reachability synchronously, with a new version so readers and the KV mirror see it. */
	private enterOms(to: OmsTransition): OmsTransition {
		const counter = to === "unreachable" ? "to_unreachable" : "to_reachable";
		this.sql.exec(
			`UPDATE oms SET reachable = ?, since = ?, ${counter} = ${counter} + 1 WHERE id = 1`,
			to === "reachable" ? 1 : 0,
			new Date().toISOString(),
		);
		this.sql.exec("UPDATE state SET version = version + 1 WHERE id = 1");
		return to;
	}

	/**
	 * Manual override from ops: holds until cleared. Switching off goes through the fence like an
	 * automatic failback. `operator` (who asked) goes into the transition's audit entry. Switching
	 * on is refused while the configuration is incomplete.
	 */
	async setManual(active: boolean, reason: string, operator?: string): Promise<Outcome<FailoverState>> {
		const blockers = configProblems(this.env);
		if (active && blockers.length > 0)
			return { ok: false, refusal: { code: "CONFIG_INCOMPLETE", detail: `will not go active: ${describeProblems(blockers)}` } };
		const phase = this.row().phase;
		const target: FailoverPhase = active ? "active" : phase === "active" ? "fencing" : phase;
		const transition = target === phase ? null : this.enter(target, reason, "manual");
		if (transition) await this.announce(transition, operator ? { operator } : {});
		else {
			this.sql.exec("UPDATE state SET source = 'manual', reason = ?, version = version + 1 WHERE id = 1", reason);
			await this.mirror();
		}
		await this.auditOps(active ? "ops.failover_on" : "ops.failover_off", operator, { reason, phaseBefore: phase, phase: this.row().phase });
		await this.advanceFence();
		return { ok: true, ...this.state() };
	}

	/** Back to automatic: the state stays as it is until the probes decide otherwise. */
	async clearManual(operator?: string, reason: string | null = null): Promise<FailoverState> {
		const wasManual = this.row().source === "manual";
		this.sql.exec("UPDATE state SET source = 'auto', version = version + 1 WHERE id = 1 AND source = 'manual'");
		await this.mirror();
		await this.auditOps("ops.failover_automatic", operator, { reason, wasManual, phase: this.row().phase });
		return this.state();
	}

	/** The audit entry of an ops action on failover (one per request, transition or not), with who asked and why. */
	private async auditOps(action: AuditAction, operator: string | undefined, detail: Record<string, unknown>): Promise<void> {
		const who = operator ?? "ops";
		await audit(
			this.env,
			auditEntry(action, transitionActor("manual", operator), null, { instance: this.instance, operator: who, ...detail }),
		).catch((err) => log("failover.audit_failed", { instance: this.instance, message: String(err) }, "error"));
	}

	private keepHistory(probes: { p: ProbeResult; kind: "primary" | "oms" }[]): void {
		const now = Date.now();
		for (const { p, kind } of probes) {
			this.sql.exec(
				"INSERT INTO probe_history (at, target, kind, ok, latency_ms) VALUES (?, ?, ?, ?, ?)",
				now,
				p.url,
				kind,
				p.ok ? 1 : 0,
				p.latencyMs,
			);
		}
		this.sql.exec("DELETE FROM probe_history WHERE at < ?", now - HISTORY_MS);
		this.sql.exec("DELETE FROM probe_history WHERE rowid <= (SELECT max(rowid) FROM probe_history) - ?", HISTORY_MAX_PROBE_ROWS);
	}

	private lastLagSampleAt(): number {
		return this.sql.exec<{ at: number | null }>("SELECT max(at) AS at FROM lag_history").one().at ?? 0;
	}

	/** Records how far behind replication is now (null: Postgres could not say), for the last hour's chart. */
	async sampleReplicationLag(): Promise<{ at: string; lagSeconds: number | null }> {
		const f = await dataFreshness(this.env, (p) => this.ctx.waitUntil(p));
		const now = Date.now();
		this.sql.exec("INSERT OR REPLACE INTO lag_history (at, lag_seconds) VALUES (?, ?)", now, f.lagSeconds);
		this.sql.exec("DELETE FROM lag_history WHERE at < ?", now - HISTORY_MS);
		return { at: new Date(now).toISOString(), lagSeconds: f.lagSeconds };
	}

	/** What the ops console draws: the state, the last probes, and the last hour of probes and lag samples. */
	history(): FailoverHistory {
		const since = Date.now() - HISTORY_MS;
		const rows = this.sql
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
		const lag = this.sql
			.exec<{ at: number; lag_seconds: number | null }>("SELECT at, lag_seconds FROM lag_history WHERE at >= ? ORDER BY at", since)
			.toArray()
			.map((r) => ({ at: new Date(r.at).toISOString(), lagSeconds: r.lag_seconds }));
		return { metrics: this.metrics(), probes: [...targets.values()], lag };
	}

	metrics(): FailoverMetrics {
		const r = this.row();
		const probes = this.sql
			.exec<{ url: string; ok: number; status: number | null; latency_ms: number; error: string | null }>(
				"SELECT url, ok, status, latency_ms, error FROM probe ORDER BY url",
			)
			.toArray()
			.map((p) => ({ url: p.url, ok: p.ok === 1, status: p.status, latencyMs: p.latency_ms, error: p.error }));
		return {
			state: this.state(),
			consecutiveFail: r.consecutive_fail,
			consecutiveOk: r.consecutive_ok,
			roundsUp: r.rounds_up,
			roundsDown: r.rounds_down,
			transitions: { activated: r.to_active, fenced: r.to_fencing, deactivated: r.to_standby },
			lastRoundAt: r.last_round_at === null ? null : new Date(r.last_round_at).toISOString(),
			probes,
			oms: this.omsMetrics(),
		};
	}

	private omsMetrics(): OmsMetrics {
		const o = this.omsRow();
		const last =
			o.last_url === null || o.last_at === null
				? null
				: {
						url: o.last_url,
						ok: o.last_ok === 1,
						status: o.last_status,
						latencyMs: o.last_latency_ms ?? 0,
						error: o.last_error,
						at: new Date(o.last_at).toISOString(),
					};
		return {
			reachable: o.reachable === 1,
			since: o.since,
			url: this.config().omsHealthUrl,
			consecutiveFail: o.consecutive_fail,
			consecutiveOk: o.consecutive_ok,
			transitions: { unreachable: o.to_unreachable, reachable: o.to_reachable },
			suspects: o.suspects,
			lastProbe: last,
		};
	}

	/** Writes a new phase synchronously (no I/O), so two events can never both make the same transition. */
	private enter(phase: FailoverPhase, reason: string, source: "auto" | "manual"): Transition {
		const now = new Date();
		const common = "since = ?, reason = ?, source = ?, version = version + 1";
		this.recordActivation(this.row().phase, phase, now.toISOString(), source);
		if (phase === "active") {
			this.sql.exec(
				`UPDATE state SET active = 1, phase = 'active', ${common}, outbox_ready = 0, outbox_up_to = NULL, fence_started = NULL, to_active = to_active + 1 WHERE id = 1`,
				now.toISOString(),
				reason,
				source,
			);
			return "activated";
		}
		if (phase === "fencing") {
			this.sql.exec(
				`UPDATE state SET active = 0, phase = 'fencing', ${common}, fence_started = ?, to_fencing = to_fencing + 1 WHERE id = 1`,
				now.toISOString(),
				reason,
				source,
				now.getTime(),
			);
			return "fenced";
		}
		this.sql.exec(
			`UPDATE state SET active = 0, phase = 'standby', ${common}, fence_started = NULL, outbox_ready = 1, to_standby = to_standby + 1 WHERE id = 1`,
			now.toISOString(),
			reason,
			source,
		);
		return "deactivated";
	}

	/**
	 * The activation history and the notices' transition ids, in the same synchronous step as the
	 * phase. A relapse while fencing (fencing -> active) continues the activation: clients were
	 * never told it ended, so they are not told again that it started.
	 */
	private recordActivation(from: FailoverPhase, to: FailoverPhase, at: string, source: "auto" | "manual") {
		let uid: string | null = null;
		let kind: NoticeKind | null = null;
		if (to === "active" && from === "standby") {
			uid = crypto.randomUUID();
			kind = "activated";
			this.sql.exec("INSERT INTO activation (uid, started_at, source) VALUES (?, ?, ?)", uid, at, source);
			this.sql.exec("DELETE FROM activation WHERE seq <= (SELECT max(seq) FROM activation) - ?", ACTIVATIONS_KEPT);
		} else if (to === "standby" && from !== "standby") {
			const open = this.sql
				.exec<{ uid: string }>("SELECT uid FROM activation WHERE ended_at IS NULL ORDER BY seq DESC LIMIT 1")
				.toArray()[0];
			// An object that went active before it kept a history has no open activation: its notice still gets an id of its own.
			uid = open?.uid ?? crypto.randomUUID();
			kind = "deactivated";
			this.sql.exec("UPDATE activation SET ended_at = ? WHERE ended_at IS NULL", at);
		}
		if (uid === null || kind === null) return;
		const scope = this.config().noticeClientIds;
		this.sql.exec(
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
	private async dispatchNotices(): Promise<void> {
		const pending = this.sql.exec<DispatchRow>("SELECT transition_id, kind, at, client_ids FROM notice_dispatch").toArray();
		for (const d of pending) {
			const clientIds = d.client_ids === null ? null : (JSON.parse(d.client_ids) as string[]);
			if (clientIds?.length !== 0) {
				const transition: NoticeTransition = { id: d.transition_id, kind: d.kind, at: d.at, clientIds };
				try {
					await this.env.NOTICES.send({ kind: "fanout", transition, after: null, position: 0, startMs: null });
				} catch (err) {
					log("notices.dispatch_failed", { instance: this.instance, transitionId: d.transition_id, message: String(err) }, "error");
					continue;
				}
				log("notices.dispatched", { instance: this.instance, transitionId: d.transition_id, kind: d.kind });
			}
			this.sql.exec("DELETE FROM notice_dispatch WHERE transition_id = ?", d.transition_id);
		}
	}

	/**
	 * While fencing: once no order the backup accepted is still PENDING (all reached SENT or a final
	 * status) or the fence has lasted fenceMaxSeconds, the outbox is marked ready and Lifeboat is standby.
	 * Postgres is not asked before fenceSettleSeconds: until then it may not know the last orders yet.
	 */
	private async advanceFence(): Promise<Transition | null> {
		const before = this.row();
		if (before.phase !== "fencing" || before.fence_started === null) return null;
		const cfg = this.config();
		const fencedForMs = Date.now() - before.fence_started;
		const timedOut = fencedForMs >= cfg.fenceMaxSeconds * 1000;
		if (!timedOut && fencedForMs < cfg.fenceSettleSeconds * 1000) return null;
		const pg = await this.inFlight(cfg.inFlightClientIds);
		if (!timedOut && pg.pending !== 0) return null;
		const after = this.row();
		if (after.version !== before.version) return null; // something else changed the state meanwhile
		const why = timedOut
			? `fence timed out after ${cfg.fenceMaxSeconds} s with ${pg.pending ?? "unknown"} orders in flight`
			: "no order in flight";
		this.sql.exec("UPDATE state SET outbox_up_to = ? WHERE id = 1", pg.outboxUpTo);
		const transition = this.enter("standby", `failback: ${why}; outbox ready for the primary`, after.source);
		await this.announce(transition, { inFlight: pg.pending, timedOut, outboxUpTo: pg.outboxUpTo });
		return transition;
	}

	/** Backup orders still PENDING, and the newest outbox seq; nulls when Postgres cannot say. */
	private async inFlight(clientIds: string[] | null): Promise<{ pending: number | null; outboxUpTo: number | null }> {
		const o = schema.orders;
		const scope = clientIds ? inArray(o.clientId, clientIds) : dsql`true`;
		try {
			return await withDb(
				this.env,
				"failover-fence",
				async (db) => {
					const [pending] = await db
						.select({ n: dsql<number>`count(*)::int` })
						.from(o)
						.where(and(eq(o.origin, "backup"), eq(o.status, "PENDING"), scope));
					const [outbox] = await db.select({ seq: max(schema.outbox.seq) }).from(schema.outbox);
					return { pending: pending?.n ?? 0, outboxUpTo: outbox?.seq ?? null };
				},
				(p) => this.ctx.waitUntil(p),
			);
		} catch (err) {
			log("failover.fence_check_failed", { instance: this.instance, message: String(err) }, "warn");
			return { pending: null, outboxUpTo: null };
		}
	}

	/** Once per transition: KV mirror, alert, audit, log. None of them can undo the transition. */
	private async announce(transition: Transition, detail: Record<string, unknown> = {}): Promise<void> {
		const s = this.state();
		const info = {
			instance: this.instance,
			phase: s.phase,
			source: s.source,
			reason: s.reason,
			version: s.version,
			since: s.since,
			...detail,
		};
		log(`failover.${transition}`, info, "warn");
		const text: Record<Transition, string> = {
			activated: `Lifeboat is ACTIVE: taking square-offs (${s.reason})`,
			fenced: `Lifeboat is fencing: new square-offs refused, waiting for in-flight orders (${s.reason})`,
			deactivated: `Lifeboat is back in standby: outbox ready for the primary (${s.reason})`,
		};
		await Promise.all([
			this.mirror(),
			this.dispatchNotices(),
			sendAlert(this.env, { event: `failover.${transition}`, text: text[transition], detail: info }),
			audit(this.env, auditEntry(AUDIT_ACTION[transition], transitionActor(s.source, detail.operator), null, info)).catch((err) =>
				log("failover.audit_failed", { instance: this.instance, message: String(err) }, "error"),
			),
		]);
	}

	/** Alerts ops when the config guard's finding changes: incomplete (what) or complete again. */
	private async checkConfig(): Promise<void> {
		const now = describeProblems(configProblems(this.env));
		const before = this.sql.exec<{ problems: string }>("SELECT problems FROM config_guard WHERE id = 1").one().problems;
		if (now === before) return;
		this.sql.exec("UPDATE config_guard SET problems = ? WHERE id = 1", now);
		const detail = { instance: this.instance, appEnv: this.env.APP_ENV, problems: now };
		await sendAlert(
			this.env,
			now
				? {
						event: "config.incomplete",
						text: `Lifeboat will NOT go active until its configuration is complete: ${now} (GET /ops/health)`,
						detail,
					}
				: { event: "config.complete", text: "Lifeboat's configuration is complete: it can go active", detail },
		);
	}

	/** The primary failed, but the configuration keeps Lifeboat from taking over: ops must know at once. */
	private async announceRefusal(problems: string): Promise<void> {
		const r = this.row();
		await sendAlert(this.env, {
			event: "failover.refused",
			text: `The primary failed ${r.consecutive_fail} health rounds in a row, but Lifeboat will NOT go active: ${problems}`,
			detail: { instance: this.instance, appEnv: this.env.APP_ENV, problems },
		});
	}

	/** Once per change of the OMS's reachability: KV mirror, alert, audit, log (like a failover transition). */
	private async announceOms(to: OmsTransition): Promise<void> {
		const s = this.state();
		const o = this.omsMetrics();
		const info = {
			instance: this.instance,
			reachable: s.oms.reachable,
			since: s.oms.since,
			version: s.version,
			url: o.url,
			consecutiveFail: o.consecutiveFail,
			lastProbe: o.lastProbe && { status: o.lastProbe.status, error: o.lastProbe.error, latencyMs: o.lastProbe.latencyMs },
		};
		log(`oms.${to}`, info, "warn");
		const text: Record<OmsTransition, string> = {
			unreachable: `The broker's OMS is UNREACHABLE: square-offs are refused (503 OMS_UNAVAILABLE) until it answers again (${o.url}: ${o.lastProbe?.error ?? "no answer"}, ${o.consecutiveFail} failed health checks in a row)`,
			reachable: "The broker's OMS is reachable again: square-offs are taken",
		};
		await Promise.all([
			this.mirror(),
			sendAlert(this.env, { event: `oms.${to}`, text: text[to], detail: info }),
			audit(this.env, auditEntry(`oms.${to}`, "system", null, info)).catch((err) =>
				log("failover.audit_failed", { instance: this.instance, message: String(err) }, "error"),
			),
		]);
	}

	/** Writes the current state to KV; again if it changed while the write was in flight (so KV never ends older). */
	private async mirror(): Promise<void> {
		for (let attempt = 0; attempt < 3; attempt++) {
			const s = this.state();
			try {
				await this.env.FLAGS.put(failoverKvKey(this.instance), JSON.stringify(s));
			} catch (err) {
				log("failover.kv_write_failed", { instance: this.instance, version: s.version, message: String(err) }, "error");
				return;
			}
			this.sql.exec("UPDATE state SET mirrored_version = max(mirrored_version, ?) WHERE id = 1", s.version);
			if (this.row().version === s.version) return;
		}
	}

	/** A KV write that failed (KV outage) is retried on the next round. */
	private async retryMirror(): Promise<void> {
		const r = this.row();
		if (r.mirrored_version < r.version) await this.mirror();
	}
}
