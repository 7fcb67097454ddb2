// The broker's OMS as the Failover object sees it: each round's health probe counted, reachability
// decided (omsFailThreshold failures in a row: unreachable; one good probe: reachable), and the figures.
import type { OmsMetrics, OmsTransition, ProbeResult } from "../../src/contract";
import { omsRow } from "./schema";

/**
 * Counts one OMS health probe and decides (no I/O): unreachable after omsFailThreshold failures
 * in a row, reachable after one good probe. No URL configured: the OMS is taken as reachable.
 */
export function countOms(sql: SqlStorage, p: ProbeResult | null, failThreshold: number): OmsTransition | null {
	if (p === null) return omsRow(sql).reachable === 1 ? null : enterOms(sql, "reachable");
	sql.exec(
		`UPDATE oms SET ${p.ok ? "consecutive_ok = consecutive_ok + 1, consecutive_fail = 0" : "consecutive_fail = consecutive_fail + 1, consecutive_ok = 0"},
			last_url = ?, last_ok = ?, last_status = ?, last_latency_ms = ?, last_error = ?, last_at = ? WHERE id = 1`,
		p.url,
		p.ok ? 1 : 0,
		p.status,
		p.latencyMs,
		p.error,
		Date.now(),
	);
	const o = omsRow(sql);
	if (o.reachable === 1 && !p.ok && o.consecutive_fail >= failThreshold) return enterOms(sql, "unreachable");
	if (o.reachable === 0 && p.ok) return enterOms(sql, "reachable");
	return null;
}

/** Writes the OMS's new reachability synchronously, with a new version so readers and the KV mirror see it. */
function enterOms(sql: SqlStorage, to: OmsTransition): OmsTransition {
	const counter = to === "unreachable" ? "to_unreachable" : "to_reachable";
	sql.exec(
		`UPDATE oms SET reachable = ?, since = ?, ${counter} = ${counter} + 1 WHERE id = 1`,
		to === "reachable" ? 1 : 0,
		new Date().toISOString(),
	);
	sql.exec("UPDATE state SET version = version + 1 WHERE id = 1");
	return to;
}

export function omsMetrics(sql: SqlStorage, url: string | null): OmsMetrics {
	const o = omsRow(sql);
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
		url,
		consecutiveFail: o.consecutive_fail,
		consecutiveOk: o.consecutive_ok,
		transitions: { unreachable: o.to_unreachable, reachable: o.to_reachable },
		suspects: o.suspects,
		lastProbe: last,
	};
}
