import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/app-env";
import { type OperatorEnv, requireOperator } from "../auth/operator";
import { schema, withDb } from "../db/client";
import { failoverStub, rememberFromObject } from "../failover/state";
import { Problem, refusalProblem } from "../http/problem";
import { idText, noBody, validate } from "../http/validate";
import { healthReport } from "../observability/health";
import { log } from "../observability/log";
import { renderMetrics } from "../observability/metrics";
import { overview } from "../ops/overview";
import { notices } from "./notices";

/**
 * For load balancers: 200 `ok: true` when this Worker can serve, i.e. it runs and its failover
 * state answers (otherwise the error handler's 500). `components` names the state of each part
 * (failover, Postgres, OMS) for people; neither Postgres nor the OMS being away makes it fail.
 */
export const health = new Hono<AppEnv>().get("/", async (c) => {
	const failover = rememberFromObject(await failoverStub(c.env).state());
	return c.json(await healthReport(c.env, failover, (p) => c.executionCtx.waitUntil(p)));
});

/** The console's page (ui/ops/index.html, built into the assets). No secret is in it: the data comes from the routes below. */
export const opsConsole = new Hono<AppEnv>().get("/", async (c) => {
	const page = await c.env.ASSETS.fetch(new URL("/ops/index.html", c.req.url));
	if (!page.ok) throw new Problem(404, "NOT_FOUND", "the ops console is not built (npm run build)");
	return new Response(page.body, { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
});

const Reason = z.string().trim().min(1, "a reason is required").max(500);
const FailoverBody = z.object({ active: z.boolean(), reason: Reason }).strict();
const ReasonBody = z.object({ reason: Reason }).strict();
/** Client ids as sign-in takes them: no control characters, at most 64. */
const ClientParam = z.object({ clientId: idText(64) });

/** 404 CLIENT_NOT_FOUND unless Postgres knows the client (503 when it cannot say): an Account is never made for a typo. */
async function knownClient(c: { env: Env; executionCtx: { waitUntil(p: Promise<unknown>): void } }, clientId: string) {
	let found: boolean;
	try {
		const rows = await withDb(
			c.env,
			"ops-client",
			(db) => db.select({ id: schema.clients.clientId }).from(schema.clients).where(eq(schema.clients.clientId, clientId)).limit(1),
			(p) => c.executionCtx.waitUntil(p),
		);
		found = rows.length > 0;
	} catch (err) {
		log("ops.client_lookup_failed", { message: String(err) }, "error");
		throw new Problem(503, "SIGN_IN_UNAVAILABLE", "the client list cannot be read right now (Postgres); try again");
	}
	if (!found) throw new Problem(404, "CLIENT_NOT_FOUND", `no client with id "${clientId}"`);
	return c.env.ACCOUNTS.getByName(clientId);
}

export const ops = new Hono<OperatorEnv>()
	.use(requireOperator)
	.get("/overview", async (c) => {
		const history = await failoverStub(c.env).history();
		return c.json(await overview(c.env, history, c.var.operator, (p) => c.executionCtx.waitUntil(p)));
	})
	.post("/failover", validate("json", FailoverBody), async (c) => {
		const { active, reason } = c.req.valid("json");
		const outcome = await failoverStub(c.env).setManual(active, reason, c.var.operator);
		if (!outcome.ok) throw refusalProblem(outcome.refusal);
		const { ok: _, ...state } = outcome;
		return c.json(rememberFromObject(state));
	})
	/** Back to automatic, with the reason recorded (DELETE /ops/failover does the same without one). */
	.post("/failover/automatic", validate("json", ReasonBody), async (c) => {
		const { reason } = c.req.valid("json");
		return c.json(rememberFromObject(await failoverStub(c.env).clearManual(c.var.operator, reason)));
	})
	.delete("/failover", noBody, async (c) => c.json(rememberFromObject(await failoverStub(c.env).clearManual(c.var.operator, null))))
	/** The failover state with its internal reason, and the last probe of each health URL (GET /api/status shows neither). */
	.get("/failover", async (c) => c.json(await failoverStub(c.env).metrics()))
	.route("/notices", notices)
	.get("/metrics", async (c) => {
		const text = await renderMetrics(c.env, await failoverStub(c.env).metrics(), (p) => c.executionCtx.waitUntil(p));
		return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
	})
	.get("/clients/:clientId", validate("param", ClientParam), async (c) => {
		const { clientId } = c.req.valid("param");
		const view = await (await knownClient(c, clientId)).opsView(clientId, c.var.operator);
		if (!view.ok) throw refusalProblem(view.refusal);
		const { ok: _, ...body } = view;
		return c.json(body);
	})
	.post("/clients/:clientId/disable", validate("param", ClientParam), validate("json", ReasonBody), async (c) => {
		const { clientId } = c.req.valid("param");
		const account = await knownClient(c, clientId);
		return c.json({ clientId, ...(await account.opsDisable(clientId, { operator: c.var.operator, reason: c.req.valid("json").reason })) });
	})
	.post("/clients/:clientId/enable", validate("param", ClientParam), validate("json", ReasonBody), async (c) => {
		const { clientId } = c.req.valid("param");
		const account = await knownClient(c, clientId);
		return c.json({ clientId, ...(await account.opsEnable(clientId, { operator: c.var.operator, reason: c.req.valid("json").reason })) });
	})
	.post("/clients/:clientId/cancel-all", validate("param", ClientParam), validate("json", ReasonBody), async (c) => {
		const { clientId } = c.req.valid("param");
		const account = await knownClient(c, clientId);
		return c.json(await account.opsCancelAll(clientId, { operator: c.var.operator, reason: c.req.valid("json").reason }));
	});
