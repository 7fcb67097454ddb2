import { Hono } from "hono";
import type { AppEnv } from "../http/app-env";
import { readFailover } from "../failover/state";
import { dataFreshness } from "../replication/freshness";

export const status = new Hono<AppEnv>().get("/", async (c) => {
	const [failover, data] = await Promise.all([readFailover(c.env), dataFreshness(c.env, (p) => c.executionCtx.waitUntil(p))]);
	return c.json({
		mode: failover.active ? ("active" as const) : ("standby" as const),
		failover: { active: failover.active, since: failover.since, reason: failover.reason, source: failover.source },
		data,
		failback: { phase: failover.phase, outboxReady: failover.outboxReady, outboxUpTo: failover.outboxUpTo },
		// While the OMS is unreachable square-offs get 503 OMS_UNAVAILABLE (api.md "OMS reachability").
		oms: { reachable: failover.oms.reachable, since: failover.oms.since },
		// For the UI: where traders reach the primary.
		primaryUrl: c.env.PRIMARY_ORIGIN || null,
	});
});
