// 1. ceiling: a route of the same Worker that does no I/O (an unknown /api path -> 404 problem),
// measured before and after the accept runs; and GET /ops/health (one Durable Object call) for
// reference.
import { CONNECTIONS, SECONDS } from "../config.ts";
import { type LoadResult, load } from "../load.ts";

/** GET /api/__ceiling under load; `again` for the run after the accept runs (the ceiling drifts within a run). */
export function runCeiling(site: string, again = false): Promise<LoadResult> {
	console.log(again ? `ceiling again, ${SECONDS} s ...` : `ceiling: GET /api/__ceiling, ${CONNECTIONS} connections, ${SECONDS} s ...`);
	return load({ url: `${site}/api/__ceiling`, connections: CONNECTIONS, duration: SECONDS });
}

export function runHealth(site: string): Promise<LoadResult> {
	console.log(`health: GET /ops/health (one Durable Object call), ${SECONDS} s ...`);
	return load({ url: `${site}/ops/health`, connections: CONNECTIONS, duration: SECONDS });
}
