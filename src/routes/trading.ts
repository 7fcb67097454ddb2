// Trader routes: positions, orders, square-offs, cancels and the live socket. Each one hands
// the work to the client's Account Durable Object (c.var.account), which serializes it.
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { requireSessionToken, type SessionEnv, sessionRef } from "../auth/middleware";
import { requireOwnOrigin } from "../http/origin";
import { readFailover } from "../failover/state";
import { Problem, refusalProblem } from "../http/problem";
import { sha256Hex } from "../http/hex";
import { noBody, validate } from "../http/validate";
import { LIVE_SESSION_HEADER, type Refused, type SquareOffRequest } from "../contract";
import { SquareOffAllBody, SquareOffBody } from "../contract/schemas";

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

/** An outcome's fields (RPC answers also carry Symbol.dispose: not part of the answer). */
type Fields<O> = O extends { ok: true } ? Omit<O, "ok" | keyof Disposable> : never;

/** A Durable Object's outcome: its fields when ok, otherwise its refusal as a problem. */
function accepted<O extends { ok: true } | Refused>(o: O): Fields<O> {
	if (!o.ok) throw refusalProblem((o as Refused).refusal);
	const { ok: _, ...fields } = o as { ok: true };
	return fields as Fields<O>;
}

/**
 * In standby the primary is up: exits go there, never through both sites at once. While the
 * broker's OMS is unreachable an exit could only sit in the queue and reach the exchange late:
 * refused with 503 OMS_UNAVAILABLE instead (cancels are still taken; they only reduce risk).
 */
async function closedToExits(env: Env): Promise<Problem | null> {
	const state = await readFailover(env, { consistent: true });
	if (!state.active) return new Problem(503, "PRIMARY_ACTIVE", "the primary trading site is up: square off there");
	if (!state.oms.reachable) {
		return new Problem(503, "OMS_UNAVAILABLE", "the broker's order system cannot be reached right now: exits cannot reach the exchange", {
			oms: state.oms,
		});
	}
	return null;
}

/**
 * A square-off, once the site takes exits. A retry of one already answered gets that answer
 * again even after the site stopped taking them: its orders exist, and a 503 would tell the
 * trader they do not.
 */
async function squareOff(c: Context<IdempotentEnv>, path: string, req: SquareOffRequest) {
	const { kind: _, ...body } = req;
	const hash = await requestHash("POST", path, body);
	const closed = await closedToExits(c.env);
	if (closed) {
		const answered = await c.var.account.squareOffAnswered(sessionRef(c), c.var.idempotencyKey, hash);
		if (answered === null) throw closed;
		return c.json(accepted(answered), 202);
	}
	return c.json(accepted(await c.var.account.squareOff(sessionRef(c), c.var.idempotencyKey, hash, req)), 202);
}

export const positions = new Hono<SessionEnv>()
	.use(requireSessionToken)
	.get("/", async (c) => c.json(accepted(await c.var.account.listPositions(sessionRef(c)))));

export const squareOffs = new Hono<IdempotentEnv>()
	.use(requireSessionToken, requireIdempotencyKey)
	.post("/", validate("json", SquareOffBody), (c) => squareOff(c, "/api/square-offs", { kind: "one", ...c.req.valid("json") }))
	.post("/all", validate("json", SquareOffAllBody), (c) => squareOff(c, "/api/square-offs/all", { kind: "all", ...c.req.valid("json") }));

const OrderParam = z.object({ orderId: z.string().min(1).max(100) });

// Cancels are allowed in standby too: they only ever reduce what is in the market.
export const orders = new Hono<IdempotentEnv>()
	.use(requireSessionToken)
	.get("/", async (c) => c.json(accepted(await c.var.account.listOrders(sessionRef(c)))))
	// The Account checks the session, caps the sockets, and ties the socket to the session.
	.get("/live", async (c) => {
		if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new Problem(426, "UPGRADE_REQUIRED", "open this as a WebSocket");
		// Browsers send Origin on every WebSocket handshake and a cookie goes with it from any site: only our own pages may open one.
		requireOwnOrigin(c.req.header("origin"), c.req.url);
		const upgrade = new Request(c.req.raw);
		upgrade.headers.set(LIVE_SESSION_HEADER, c.var.sessionId);
		const res = await c.var.account.fetch(upgrade);
		// A refusal (problem+json) is copied: headers of a fetched response cannot take ours.
		return res.status === 101 ? res : new Response(res.body, res);
	})
	.post("/cancel-all", requireIdempotencyKey, noBody, async (c) => {
		const hash = await requestHash("POST", "/api/orders/cancel-all", null);
		return c.json(accepted(await c.var.account.cancelAll(sessionRef(c), c.var.idempotencyKey, hash)), 202);
	})
	.post("/:orderId/cancel", requireIdempotencyKey, validate("param", OrderParam), noBody, async (c) => {
		const { orderId } = c.req.valid("param");
		const hash = await requestHash("POST", `/api/orders/${orderId}/cancel`, null);
		return c.json(accepted(await c.var.account.cancelOrder(sessionRef(c), c.var.idempotencyKey, hash, orderId)), 202);
	});
