// The single source of truth for whether Lifeboat is taking orders. One instance ("global").
// It probes the primary on an alarm loop (the cron only makes sure the loop is alive), decides
// with consecutive-round thresholds, fences before failback, and announces each transition
// once: KV mirror (fast reads, src/failover-state.ts), alert webhook, audit entry, log line.
import { DurableObject } from "cloudflare:workers";
import { and, eq, inArray, max, sql as dsql } from "drizzle-orm";
import { sendAlert } from "../src/observability/alerts";
import { audit, auditEntry } from "../src/observability/audit";
import { schema, withDb } from "../src/db/client";
import { type ProbeConfig, ProbeConfigOverrides, probeConfig } from "../src/failover/config";
import { log } from "../src/observability/log";
import { probeRound } from "../src/failover/probe";
import type { AuditAction, FailoverMetrics, FailoverPhase, FailoverState, ProbeResult, Transition } from "../src/contract";
import { FAILOVER_INSTANCE, failoverKvKey } from "../src/failover/state";

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

export interface RoundOutcome {
	up: boolean;
	results: ProbeResult[];
	transition: Transition | null;
	state: FailoverState;
}

const AUDIT_ACTION: Record<Transition, AuditAction> = {
	activated: "failover.activated",
	fenced: "failover.fenced",
	deactivated: "failover.deactivated",
};

export class Failover extends DurableObject<Env> {
	private readonly sql: SqlStorage;
	private readonly instance: string;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
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
		});
	}

	private row(): StateRow {
		return this.sql.exec<StateRow>("SELECT * FROM state WHERE id = 1").one();
	}

	state(): FailoverState {
		const r = this.row();
		return {
			active: r.active === 1,
			since: r.since,
			reason: r.reason,
			source: r.source,
			version: r.version,
			phase: r.phase,
			outboxReady: r.outbox_ready === 1,
			outboxUpTo: r.outbox_up_to,
		};
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
		} finally {
			const r = this.row();
			const cfg = this.config();
			const suspect = r.consecutive_fail > 0 || r.phase === "fencing";
			const next = started + (suspect ? cfg.suspectIntervalSeconds : cfg.intervalSeconds) * 1000;
			await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
		}
	}

	/** One round: probe every URL, count, decide. Probes run and are recorded under a manual override too; they just don't flip. */
	async probeRound(): Promise<RoundOutcome> {
		const cfg = this.config();
		if (cfg.targets.length === 0) {
			log("failover.no_targets", { instance: this.instance }, "error");
			await this.retryMirror();
			return { up: false, results: [], transition: null, state: this.state() };
		}
		const { up, results } = await probeRound(cfg.targets, cfg.timeoutMs);
		// From here to the decision there is no I/O: a concurrent round cannot interleave.
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
		});

		let transition: Transition | null = null;
		if (r.source === "auto" && !up && r.consecutive_fail >= cfg.failThreshold && r.phase !== "active") {
			const failing = results.find((p) => !p.ok);
			transition = this.enter(
				"active",
				`primary failed ${r.consecutive_fail} health rounds in a row (${failing?.url}: ${failing?.error})`,
				"auto",
			);
		} else if (r.source === "auto" && up && r.consecutive_ok >= cfg.recoverThreshold && r.phase === "active") {
			transition = this.enter("fencing", `primary healthy for ${r.consecutive_ok} rounds in a row`, "auto");
		}
		if (transition) await this.announce(transition);
		else await this.retryMirror();
		const fenced = await this.advanceFence();
		return { up, results, transition: fenced ?? transition, state: this.state() };
	}

	/** Manual override from ops: holds until cleared. Switching off goes through the fence like an automatic failback. */
	async setManual(active: boolean, reason: string): Promise<FailoverState> {
		const phase = this.row().phase;
		const target: FailoverPhase = active ? "active" : phase === "active" ? "fencing" : phase;
		const transition = target === phase ? null : this.enter(target, reason, "manual");
		if (transition) await this.announce(transition);
		else {
			this.sql.exec("UPDATE state SET source = 'manual', reason = ?, version = version + 1 WHERE id = 1", reason);
			await this.mirror();
		}
		await this.advanceFence();
		return this.state();
	}

	/** Back to automatic: the state stays as it is until the probes decide otherwise. */
	async clearManual(): Promise<FailoverState> {
		this.sql.exec("UPDATE state SET source = 'auto', version = version + 1 WHERE id = 1 AND source = 'manual'");
		await this.mirror();
		return this.state();
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
		};
	}

	/** Writes a new phase synchronously (no I/O), so two events can never both make the same transition. */
	private enter(phase: FailoverPhase, reason: string, source: "auto" | "manual"): Transition {
		const now = new Date();
		const common = "since = ?, reason = ?, source = ?, version = version + 1";
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
			sendAlert(this.env, { event: `failover.${transition}`, text: text[transition], detail: info }),
			audit(this.env, auditEntry(AUDIT_ACTION[transition], s.source === "manual" ? "ops" : "system", null, info)).catch((err) =>
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
