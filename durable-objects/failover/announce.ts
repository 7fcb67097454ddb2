// Each failover transition and each change of the OMS's reachability is announced once: KV
// mirror, alert webhook, audit entry, log line (and, for a transition, the notices to clients).
// None of them can undo the change.
import type { AuditAction, FailoverState, OmsMetrics, OmsTransition, Transition } from "../../src/contract";
import { sendAlert } from "../../src/observability/alerts";
import { audit, auditEntry } from "../../src/observability/audit";
import { log } from "../../src/observability/log";

/** What announcing needs of the Failover object. */
export interface Announcer {
	env: Env;
	instance: string;
	state(): FailoverState;
	mirror(): Promise<void>;
	dispatchNotices(): Promise<void>;
}

/** Who made a transition: the operator of a manual override ("ops:<operator>"), or the probes ("system"). */
export const transitionActor = (source: "auto" | "manual", operator: unknown) =>
	source === "auto" ? "system" : typeof operator === "string" ? `ops:${operator}` : "ops";

const AUDIT_ACTION: Record<Transition, AuditAction> = {
	activated: "failover.activated",
	fenced: "failover.fenced",
	deactivated: "failover.deactivated",
};

/** Once per transition: KV mirror, alert, audit, log. None of them can undo the transition. */
export async function announce(o: Announcer, transition: Transition, detail: Record<string, unknown> = {}): Promise<void> {
	const s = o.state();
	const info = {
		instance: o.instance,
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
		o.mirror(),
		o.dispatchNotices(),
		sendAlert(o.env, { event: `failover.${transition}`, text: text[transition], detail: info }),
		audit(o.env, auditEntry(AUDIT_ACTION[transition], transitionActor(s.source, detail.operator), null, info)).catch((err) =>
			log("failover.audit_failed", { instance: o.instance, message: String(err) }, "error"),
		),
	]);
}

/** Once per change of the OMS's reachability: KV mirror, alert, audit, log (like a failover transition). */
export async function announceOms(a: Announcer, to: OmsTransition, o: OmsMetrics): Promise<void> {
	const s = a.state();
	const info = {
		instance: a.instance,
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
		a.mirror(),
		sendAlert(a.env, { event: `oms.${to}`, text: text[to], detail: info }),
		audit(a.env, auditEntry(`oms.${to}`, "system", null, info)).catch((err) =>
			log("failover.audit_failed", { instance: a.instance, message: String(err) }, "error"),
		),
	]);
}
