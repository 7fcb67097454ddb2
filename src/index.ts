// Composition root: builds the app from route modules and exports the Worker's handlers
// and Durable Object classes. Nothing else lives here.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { queue, type QueueMessage } from "../queues";
import type { AppEnv } from "./http/app-env";
import { gateway } from "./failover/gateway";
import { requestLog } from "./observability/log";
import { countCall, countedEnv } from "./observability/platform-calls";
import { assetsOrNotFound } from "./http/assets";
import { onError } from "./http/errors";
import { API_BODY_LIMIT, limitBody, OMS_EVENTS_BODY_LIMIT, OPS_BODY_LIMIT } from "./http/limits";
import { refuseForeignOrigin, requireSameOrigin } from "./http/origin";
import { noStore, securityHeaders } from "./http/security-headers";
import { auth, logout } from "./routes/auth";
import { me } from "./routes/me";
import { omsEvents } from "./routes/oms-events";
import { health, ops, opsConsole } from "./routes/ops";
import { status } from "./routes/status";
import { statusPage, statusPageHeaders } from "./routes/status-page";
import { sync } from "./routes/sync";
import { orders, positions, squareOffs } from "./routes/trading";
import { assertHmacSecrets } from "./relay/signature";
import { scheduled } from "./scheduled";

// Refused at start, with an error that names the secret: a Worker without both OMS keys (at
// least 32 bytes each) would sign or accept nothing, or accept forgeries.
assertHmacSecrets(env);

const app = new Hono<AppEnv>()
	.use(requestId())
	.use(requestLog)
	// Before the limits and headers: what it passes through is the primary's response, as sent.
	.use(gateway)
	.use("/status", statusPageHeaders)
	.use(securityHeaders)
	.use("/api/*", noStore, requireSameOrigin, limitBody(API_BODY_LIMIT))
	.use("/ops/*", refuseForeignOrigin, limitBody(OPS_BODY_LIMIT))
	// Its signature covers the body, so the limit comes first: at most this much is read before a 401.
	.use("/oms/*", limitBody(OMS_EVENTS_BODY_LIMIT))
	.route("/api/auth", auth)
	.route("/api/auth/logout", logout)
	.route("/api/me", me)
	.route("/api/status", status)
	.route("/status", statusPage)
	.route("/ops/health", health)
	.route("/ops/", opsConsole)
	.route("/ops", ops)
	.route("/api/positions", positions)
	.route("/api/orders", orders)
	.route("/api/square-offs", squareOffs)
	.route("/oms/events", omsEvents)
	.route("/sync", sync)
	.onError(onError)
	.notFound(assetsOrNotFound);

export type AppType = typeof app;
export { Account } from "../durable-objects/account";
export { Failover } from "../durable-objects/failover";
export { FailoverReadCopy } from "../durable-objects/failover-read-copy";

export default {
	fetch(request, env, ctx) {
		countCall(env, "inboundRequests");
		return app.fetch(request, countedEnv(env), ctx);
	},
	queue(batch, env, ctx) {
		countCall(env, "consumerInvocations");
		return queue(batch, countedEnv(env), ctx);
	},
	scheduled: (controller, env, ctx) => scheduled(controller, countedEnv(env), ctx),
} satisfies ExportedHandler<Env, QueueMessage>;
