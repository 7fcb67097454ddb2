// Composition root: builds the app from route modules and exports the Worker's handlers
// and Durable Object classes. Nothing else lives here.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { queue, type QueueMessage } from "../queues";
import type { AppEnv } from "./http/app-env";
import { gateway } from "./failover/gateway";
import { requestLog } from "./observability/log";
import { notFound, onError } from "./http/errors";
import { requireSameOrigin } from "./http/origin";
import { securityHeaders } from "./http/security-headers";
import { auth, logout } from "./routes/auth";
import { me } from "./routes/me";
import { omsEvents } from "./routes/oms-events";
import { health, ops } from "./routes/ops";
import { status } from "./routes/status";
import { sync } from "./routes/sync";
import { orders, positions, squareOffs } from "./routes/trading";
import { scheduled } from "./scheduled";

const app = new Hono<AppEnv>()
	.use(requestId())
	.use(requestLog)
	// Before the security headers: what it passes through is the primary's response, as sent.
	.use(gateway)
	.use(securityHeaders)
	.use("/api/*", requireSameOrigin)
	.route("/api/auth", auth)
	.route("/api/auth/logout", logout)
	.route("/api/me", me)
	.route("/api/status", status)
	.route("/ops/health", health)
	.route("/ops", ops)
	.route("/api/positions", positions)
	.route("/api/orders", orders)
	.route("/api/square-offs", squareOffs)
	.route("/oms/events", omsEvents)
	.route("/sync", sync)
	.onError(onError)
	.notFound(notFound);

export type AppType = typeof app;
export { Account } from "../durable-objects/account";
export { Failover } from "../durable-objects/failover";

export default { fetch: app.fetch, queue, scheduled } satisfies ExportedHandler<Env, QueueMessage>;
