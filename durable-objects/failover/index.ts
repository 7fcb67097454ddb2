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
// This file is the RPC surface, the round and the transitions; beside it: schema.ts (tables),
// history.ts (probes, lag, activations, notices to dispatch), oms.ts (reachability),
// announce.ts, config-alerts.ts and fence.ts (what the fence asks Postgres).
import { DurableObject } from "cloudflare:workers";
import { configProblems, describeProblems } from "../../src/config/guard";
import { audit, auditEntry } from "../../src/observability/audit";
import { type ProbeConfig, ProbeConfigOverrides, probeConfig } from "../../src/failover/config";
import { log } from "../../src/observability/log";
import { probe, probeRound } from "../../src/failover/probe";
import type {
	Activation,
	AuditAction,
	FailoverHistory,
	FailoverMetrics,
	FailoverPhase,
	FailoverState,
	Outcome,
	OmsTransition,
	ProbeResult,
	Transition,
} from "../../src/contract";
import { FAILOVER_INSTANCE, failoverKvKey } from "../../src/failover/state";
import { countedEnv } from "../../src/observability/platform-calls";
import {
	activations,
	dispatchNotices,
	keepHistory,
	LAG_SAMPLE_EVERY_MS,
	lastLagSampleAt,
	recentHistory,
	recordActivation,
	recordLag,
} from "./history";
import { type Announcer, announce, announceOms, transitionActor } from "./announce";
import { announceRefusal, checkConfig } from "./config-alerts";
import { inFlight } from "./fence";
import { countOms, omsMetrics } from "./oms";
import { migrate, type OmsRow, omsRow, type StateRow, stateRow } from "./schema";
import { dataFreshness } from "../../src/replication/freshness";

export interface RoundOutcome {
	up: boolean;
	results: ProbeResult[];
	transition: Transition | null;
	/** The OMS health probe of this round (null when no OMS health URL is configured) and the change it made. */
	oms: { probe: ProbeResult | null; transition: OmsTransition | null };
	state: FailoverState;
}

export class Failover extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private readonly instance: string;
	private readonly announcer: Announcer;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, countedEnv(env));
		this.sql = ctx.storage.sql;
		this.instance = ctx.id.name ?? FAILOVER_INSTANCE;
		this.announcer = {
			env: this.env,
			instance: this.instance,
			state: () => this.state(),
			mirror: () => this.mirror(),
			dispatchNotices: () => dispatchNotices(this.sql, this.env, this.instance),
		};
		ctx.blockConcurrencyWhile(async () => migrate(this.sql));
	}

	private row(): StateRow {
		return stateRow(this.sql);
	}

	private omsRow(): OmsRow {
		return omsRow(this.sql);
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
		return activations(this.sql, limit);
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
		await dispatchNotices(this.sql, this.env, this.instance);
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
			if (Date.now() - lastLagSampleAt(this.sql) >= LAG_SAMPLE_EVERY_MS) await this.sampleReplicationLag();
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
		await checkConfig(this.sql, this.env, this.instance);
		// From here to the decisions there is no I/O: a concurrent round cannot interleave.
		const blockers = configProblems(this.env);
		const omsTransition = countOms(this.sql, omsProbe, cfg.omsFailThreshold);
		const oms = { probe: omsProbe, transition: omsTransition };
		keepHistory(this.sql, [
			...(primary?.results ?? []).map((p) => ({ p, kind: "primary" as const })),
			...(omsProbe ? [{ p: omsProbe, kind: "oms" as const }] : []),
		]);
		if (primary === null) {
			log("failover.no_targets", { instance: this.instance }, "error");
			if (omsTransition) await announceOms(this.announcer, omsTransition, omsMetrics(this.sql, this.config().omsHealthUrl));
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
		if (transition) await announce(this.announcer, transition);
		if (refusedActivation) await announceRefusal(this.env, this.instance, this.row().consecutive_fail, describeProblems(blockers));
		if (omsTransition) await announceOms(this.announcer, omsTransition, omsMetrics(this.sql, this.config().omsHealthUrl));
		if (!transition && !omsTransition) await Promise.all([this.retryMirror(), dispatchNotices(this.sql, this.env, this.instance)]);
		const fenced = await this.advanceFence();
		return { up, results, transition: fenced ?? transition, oms, state: this.state() };
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
		if (transition) await announce(this.announcer, transition, operator ? { operator } : {});
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

	/** Records how far behind replication is now (null: Postgres could not say), for the last hour's chart. */
	async sampleReplicationLag(): Promise<{ at: string; lagSeconds: number | null }> {
		const f = await dataFreshness(this.env, (p) => this.ctx.waitUntil(p));
		return recordLag(this.sql, f.lagSeconds);
	}

	/** What the ops console draws: the state, the last probes, and the last hour of probes and lag samples. */
	history(): FailoverHistory {
		return { metrics: this.metrics(), ...recentHistory(this.sql) };
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
			oms: omsMetrics(this.sql, this.config().omsHealthUrl),
		};
	}

	/** Writes a new phase synchronously (no I/O), so two events can never both make the same transition. */
	private enter(phase: FailoverPhase, reason: string, source: "auto" | "manual"): Transition {
		const now = new Date();
		const common = "since = ?, reason = ?, source = ?, version = version + 1";
		recordActivation(this.sql, { from: this.row().phase, to: phase, at: now.toISOString(), source }, this.config().noticeClientIds);
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
		const pg = await inFlight(this.env, this.instance, cfg.inFlightClientIds, (p) => this.ctx.waitUntil(p));
		if (!timedOut && pg.pending !== 0) return null;
		const after = this.row();
		if (after.version !== before.version) return null; // something else changed the state meanwhile
		const why = timedOut
			? `fence timed out after ${cfg.fenceMaxSeconds} s with ${pg.pending ?? "unknown"} orders in flight`
			: "no order in flight";
		this.sql.exec("UPDATE state SET outbox_up_to = ? WHERE id = 1", pg.outboxUpTo);
		const transition = this.enter("standby", `failback: ${why}; outbox ready for the primary`, after.source);
		await announce(this.announcer, transition, { inFlight: pg.pending, timedOut, outboxUpTo: pg.outboxUpTo });
		return transition;
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
