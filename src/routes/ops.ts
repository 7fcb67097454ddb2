import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { requireBearer } from "../auth/bearer";
import { failoverStub, rememberFromObject } from "../failover/state";
import { noBody, validate } from "../http/validate";
import { healthReport } from "../observability/health";
import { renderMetrics } from "../observability/metrics";

/**
 * For load balancers: 200 `ok: true` when this Worker can serve, i.e. it runs and its failover
 * state answers (otherwise the error handler's 500). `components` names the state of each part
 * (failover, Postgres, OMS) for people; neither Postgres nor the OMS being away makes it fail.
 */
export const health = new Hono<AppEnv>().get("/", async (c) => {
	const failover = rememberFromObject(await failoverStub(c.env).state());
	return c.json(await healthReport(c.env, failover, (p) => c.executionCtx.waitUntil(p)));
});

const FailoverBody = z.object({ active: z.boolean(), reason: z.string().trim().min(1).max(500) }).strict();

export const ops = new Hono<AppEnv>()
	.use(requireBearer("OPS_TOKEN"))
	.post("/failover", validate("json", FailoverBody), async (c) => {
		const { active, reason } = c.req.valid("json");
		const state = rememberFromObject(await failoverStub(c.env).setManual(active, reason));
		return c.json(state);
	})
	.delete("/failover", noBody, async (c) => c.json(rememberFromObject(await failoverStub(c.env).clearManual())))
	/** The failover state with its internal reason, and the last probe of each health URL (GET /api/status shows neither). */
	.get("/failover", async (c) => c.json(await failoverStub(c.env).metrics()))
	.get("/metrics", async (c) => {
		const text = await renderMetrics(c.env, await failoverStub(c.env).metrics(), (p) => c.executionCtx.waitUntil(p));
		return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
	});
