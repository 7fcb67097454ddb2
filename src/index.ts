// Composition root: builds the app from route modules and exports the Worker's handlers
// and Durable Object classes. Nothing else lives here.
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { queue, type QueueMessage } from "../queues";
import type { AppEnv } from "./app-env";
import { gateway } from "./gateway";
import { requestLog } from "./log";
import { notFound, onError } from "./http/errors";
import { health, ops } from "./routes/ops";
import { status } from "./routes/status";
import { scheduled } from "./scheduled";

const app = new Hono<AppEnv>()
	.use(requestId())
	.use(requestLog)
	.use(gateway)
	.route("/api/status", status)
	.route("/ops/health", health)
	.route("/ops", ops)
	.onError(onError)
	.notFound(notFound);

export type AppType = typeof app;
export { Account } from "../durable-objects/account";
export { Failover } from "../durable-objects/failover";

export default { fetch: app.fetch, queue, scheduled } satisfies ExportedHandler<Env, QueueMessage>;
