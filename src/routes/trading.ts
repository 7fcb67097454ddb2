// Trader routes: positions, orders, square-offs, cancels and the live socket. Each one hands
// the work to the client's Account Durable Object (c.var.account), which serializes it.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { requireSession, requireSessionToken, type SessionEnv, sessionRef } from "../auth/middleware";
import { readFailover } from "../failover/state";
import { Problem } from "../http/problem";
import { sha256Hex } from "../http/hex";
import { validate } from "../http/validate";
import { toPaise } from "../trading/rules";
import type { ApiResult } from "../contract";

interface IdempotentEnv extends SessionEnv {
	Variables: SessionEnv["Variables"] & { idempotencyKey: string };
}

/** Every state-changing trader request carries an Idempotency-Key of 1-255 characters. */
const requireIdempotencyKey = createMiddleware<IdempotentEnv>(async (c, next) => {
	const key = c.req.header("idempotency-key");
	if (!key) throw new Problem(400, "IDEMPOTENCY_KEY_REQUIRED", "send an Idempotency-Key header (1-255 characters)");
	if (key.length > 255) throw new Problem(400, "IDEMPOTENCY_KEY_INVALID", "the Idempotency-Key must be 1-255 characters");
	c.set("idempotencyKey", key);
	await next();
});

/** What identifies "the same request" for an Idempotency-Key: method, path and the validated body. */
const requestHash = (method: string, path: string, body: unknown) => sha256Hex(`${method} ${path}\n${JSON.stringify(body ?? null)}`);

function answer(r: ApiResult): Response {
	return new Response(JSON.stringify(r.body), {
		status: r.status,
		headers: { "content-type": r.problem ? "application/problem+json" : "application/json" },
	});
}

/** In standby the primary is up: exits go there, never through both sites at once. */
async function requireActive(env: Env) {
	if (!(await readFailover(env, { consistent: true })).active) {
		throw new Problem(503, "PRIMARY_ACTIVE", "the primary trading site is up: square off there");
	}
}

const Price = z
	.union([z.string(), z.number()])
	.refine((p) => toPaise(p) !== null, "price must be a positive amount with at most 2 decimals")
	.transform(String);

const SquareOffBody = z
	.object({
		positionId: z.string().min(1).max(100),
		quantity: z.number().int().positive().optional(),
		orderType: z.enum(["MARKET", "LIMIT"]).default("MARKET"),
		price: Price.optional(),
	})
	.refine((b) => (b.orderType === "LIMIT") === (b.price !== undefined), {
		message: "a LIMIT order needs a price; a MARKET order takes none",
		path: ["price"],
	});

const SquareOffAllBody = z.object({ segment: z.enum(["EQ", "FUT", "OPT"]).optional() });

export const positions = new Hono<SessionEnv>()
	.use(requireSessionToken)
	.get("/", async (c) => answer(await c.var.account.listPositions(sessionRef(c))));

export const squareOffs = new Hono<IdempotentEnv>()
	.use(requireSessionToken, requireIdempotencyKey)
	.post("/", validate("json", SquareOffBody), async (c) => {
		await requireActive(c.env);
		const body = c.req.valid("json");
		const hash = await requestHash("POST", "/api/square-offs", body);
		return answer(await c.var.account.squareOff(sessionRef(c), c.var.idempotencyKey, hash, { kind: "one", ...body }));
	})
	.post("/all", validate("json", SquareOffAllBody), async (c) => {
		await requireActive(c.env);
		const body = c.req.valid("json");
		const hash = await requestHash("POST", "/api/square-offs/all", body);
		return answer(await c.var.account.squareOff(sessionRef(c), c.var.idempotencyKey, hash, { kind: "all", ...body }));
	});

const OrderParam = z.object({ orderId: z.string().min(1).max(100) });

// Cancels are allowed in standby too: they only ever reduce what is in the market.
export const orders = new Hono<IdempotentEnv>()
	.use(requireSessionToken)
	.get("/", async (c) => answer(await c.var.account.listOrders(sessionRef(c))))
	.get("/live", requireSession, async (c) => {
		if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new Problem(426, "UPGRADE_REQUIRED", "open this as a WebSocket");
		return c.var.account.fetch(c.req.raw);
	})
	.post("/cancel-all", requireIdempotencyKey, async (c) => {
		const hash = await requestHash("POST", "/api/orders/cancel-all", null);
		return answer(await c.var.account.cancelOrders(sessionRef(c), c.var.idempotencyKey, hash, null));
	})
	.post("/:orderId/cancel", requireIdempotencyKey, validate("param", OrderParam), async (c) => {
		const { orderId } = c.req.valid("param");
		const hash = await requestHash("POST", `/api/orders/${orderId}/cancel`, null);
		return answer(await c.var.account.cancelOrders(sessionRef(c), c.var.idempotencyKey, hash, orderId));
	});
