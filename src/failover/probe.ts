// One health check of the primary: a GET that must answer the expected status (and body
// text, when configured) within the timeout. Never throws: a failure is a result.
import type { HealthTarget, ProbeResult } from "../contract";

export async function probe(target: HealthTarget, timeoutMs: number): Promise<ProbeResult> {
	const started = Date.now();
	const done = (ok: boolean, status: number | null, error: string | null): ProbeResult => ({
		url: target.url,
		ok,
		status,
		latencyMs: Date.now() - started,
		error,
	});
	try {
		const res = await fetch(target.url, {
			headers: { "user-agent": "lifeboat-failover-probe", "cache-control": "no-cache" },
			signal: AbortSignal.timeout(timeoutMs),
		});
		// The body is read under the same timeout: a primary that hangs mid-answer is down too.
		const body = await res.text();
		if (res.status !== target.expectStatus) return done(false, res.status, `status ${res.status}, expected ${target.expectStatus}`);
		if (target.bodyIncludes !== undefined && !body.includes(target.bodyIncludes)) {
			return done(false, res.status, `body lacks ${JSON.stringify(target.bodyIncludes)}`);
		}
		return done(true, res.status, null);
	} catch (err) {
		const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
		return done(false, null, timedOut ? `timeout after ${timeoutMs} ms` : String(err));
	}
}

/**
 * Probes every target in parallel. The round is good only if every target is: a primary that
 * serves its home page but not its order entry cannot take square-offs either.
 */
export async function probeRound(targets: HealthTarget[], timeoutMs: number): Promise<{ up: boolean; results: ProbeResult[] }> {
	const results = await Promise.all(targets.map((t) => probe(t, timeoutMs)));
	return { up: results.length > 0 && results.every((r) => r.ok), results };
}
