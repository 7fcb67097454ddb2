// What a stretch of a bench run cost the platform, read from the running stack: the site's own
// counters (COUNT_PLATFORM_CALLS, in /ops/metrics), the OMS simulator's request counts and
// Postgres's statement log. Snapshots before and after; their difference divided by the work done.
import { localSecrets } from "../src/config/local-secrets.ts";
import type { Stack } from "../scripts/stack.ts";

export interface PlatformCost {
	inboundRequests: number;
	doCalls: number;
	failoverObjectCalls: number;
	queueMessages: number;
	orderQueueMessages: number;
	recordQueueMessages: number;
	consumerInvocations: number;
	kvReads: number;
	/** Statements on the request's own path (connections labelled account:<clientId>). */
	pgStatements: number;
	/** Every statement, the records consumer's and the first loads' included. */
	pgStatementsAll: number;
	/** Orders, cancels and lookups at the OMS (its health checks are per round, not per order). */
	omsRequests: number;
	/** Requests the OMS made to the site with its events (counted in inboundRequests too). */
	omsEventRequests: number;
}

async function siteCalls(site: string): Promise<Record<string, number>> {
	const res = await fetch(`${site}/ops/metrics`, { headers: { authorization: `Bearer ${localSecrets.OPS_TOKEN}` } });
	const text = await res.text();
	const calls = Object.fromEntries(
		[...text.matchAll(/^lifeboat_platform_calls_total\{kind="(\w+)"\} (\d+)$/gm)].map(([, kind, n]) => [kind, Number(n)]),
	);
	if (!("inboundRequests" in calls)) throw new Error("the site does not count its platform calls (COUNT_PLATFORM_CALLS)");
	return calls;
}

/** The totals so far; `labels` picks the connections whose statements are the request path's. */
export async function platformSnapshot(stack: Stack, labels: string[]): Promise<PlatformCost> {
	const calls = await siteCalls(stack.url);
	const oms = (await (await fetch(`${stack.oms.url}/__stats`)).json()) as Record<string, number>;
	const n = (k: string) => calls[k] ?? 0;
	return {
		inboundRequests: n("inboundRequests"),
		doCalls: n("doCalls"),
		failoverObjectCalls: n("failoverObjectCalls"),
		queueMessages: n("orderQueueMessages") + n("recordQueueMessages"),
		orderQueueMessages: n("orderQueueMessages"),
		recordQueueMessages: n("recordQueueMessages"),
		consumerInvocations: n("consumerInvocations"),
		kvReads: n("kvReads"),
		pgStatements: labels.reduce((sum, l) => sum + stack.statementsRunBy(l), 0),
		pgStatementsAll: stack.statementsRunBy(),
		omsRequests: (oms.requests ?? 0) + (oms.lookups ?? 0),
		omsEventRequests: oms.eventRequests ?? 0,
	};
}

/** (after - before) / units, for each count. */
export function costPer(before: PlatformCost, after: PlatformCost, units: number): PlatformCost {
	return Object.fromEntries(
		Object.entries(after).map(([k, v]) => [k, (v - before[k as keyof PlatformCost]) / Math.max(1, units)]),
	) as unknown as PlatformCost;
}
