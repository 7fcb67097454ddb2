// GET /api/status: public, so it says only what a trader needs. The failover reason is one of a
// few fixed sentences (the probe's URL and status, and ops' own words, stay behind /ops:
// GET /ops/failover).
import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { readFailover } from "../failover/state";
import { dataFreshness } from "../replication/freshness";
import { publicReason } from "../status-page/text";

export const status = new Hono<AppEnv>().get("/", async (c) => {
	const [failover, data] = await Promise.all([readFailover(c.env), dataFreshness(c.env, (p) => c.executionCtx.waitUntil(p))]);
	return c.json({
		mode: failover.active ? ("active" as const) : ("standby" as const),
		failover: { active: failover.active, since: failover.since, reason: publicReason(failover), source: failover.source },
		data,
		failback: { phase: failover.phase, outboxReady: failover.outboxReady, outboxUpTo: failover.outboxUpTo },
		// While the OMS is unreachable square-offs get 503 OMS_UNAVAILABLE (api.md "OMS reachability").
		oms: { reachable: failover.oms.reachable, since: failover.oms.since },
		// For the UI: where traders reach the primary.
		primaryUrl: c.env.PRIMARY_ORIGIN || null,
	});
});
