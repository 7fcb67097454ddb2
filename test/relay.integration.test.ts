import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { schema } from "../src/db/client";
import type { Order, OrderMessage } from "../src/contract";
import { platformCalls } from "../src/observability/platform-calls";
import { createClient, type PositionSpec } from "./fixtures";
import { expectProblem, query, setFailover } from "./helpers";
import {
	alertSink,
	alertsFor,
	deliver,
	eventually,
	omsBehaviour,
	omsEvent,
	omsEventBatch,
	omsStats,
	refuseAlerts,
	type Trader,
	statusIs,
	trader,
} from "./trading-helpers";

const shortOption = (netQty: number): PositionSpec => ({
	instrument: { segment: "OPT", lotSize: 75, freezeQty: 1800 },
	netQty,
	product: "NRML",
});

/** A client with one short option position, its own OMS behaviour, and one accepted exit. */
async function exitOne(netQty: number, quantity: number, behaviour: Record<string, unknown> = {}) {
	const c = await createClient({ positions: [shortOption(netQty)] });
	await omsBehaviour(c.clientId, behaviour);
	const t = await trader(c.clientId);
	const res = await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity });
	expect(res.status).toBe(202);
	const { orders } = (await res.json()) as { orders: Order[] };
	return { c, t, order: itemAt(orders, 0, "order") };
}

/** The order's row once the records queue has written it COMPLETE to Postgres. */
const completeInPostgres = (orderId: string) =>
	eventually(
		() =>
			query(async (db) => {
				const [r] = await db.select().from(schema.orders).where(eq(schema.orders.id, orderId));
				return r?.status === "COMPLETE" && r;
			}),
		"COMPLETE in Postgres",
	);

/** SENT comes at once when an attempt had no answer (outcome unknown, still counted); this waits for the OMS's confirmation. */
const placementConfirmed = (t: Trader, id: string) =>
	eventually(async () => {
		const o = await t.order(id);
		return o.status !== "PENDING" && o.reason === undefined && o;
	}, "placement confirmed");

beforeAll(() => setFailover(true));

describe("relay to the OMS", () => {
	it("happy path: SENT, acknowledged, filled to COMPLETE; the position shrinks and Postgres has the order", async () => {
		const { c, t, order } = await exitOne(-150, 75);
		await statusIs(t, order.id, "SENT");
		const ack = await omsEvent({ orderId: order.id, clientId: c.clientId, type: "ACK" });
		expect(ack.status).toBe(200);
		expect((await t.order(order.id)).status).toBe("OPEN");
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 75, fillPrice: "101.05" });
		expect(await t.order(order.id)).toMatchObject({ status: "COMPLETE", filledQty: 75 });
		expect((await t.positions())[0]).toMatchObject({ netQty: -75, pendingExitQty: 0 });
		const row = await completeInPostgres(order.id);
		expect(row).toMatchObject({ clientId: c.clientId, filledQty: 75, avgFillPrice: "101.05", side: "BUY" });
		// A late acknowledgement changes nothing; COMPLETE is never undone.
		const late = await omsEvent({ orderId: order.id, clientId: c.clientId, type: "ACK" });
		expect(await late.json()).toMatchObject({ result: "unchanged" });
		expect((await omsStats(c.clientId)).distinctOrders).toBe(1);
	});

	it("a 4xx from the OMS rejects the order with its reason and frees the quantity", async () => {
		const { c, t, order } = await exitOne(-150, 150, { mode: "reject" });
		const rejected = await statusIs(t, order.id, "REJECTED");
		expect(rejected.reason).toContain("insufficient margin");
		expect((await t.positions())[0]).toMatchObject({ netQty: -150, pendingExitQty: 0 });
		expect((await omsStats(c.clientId)).distinctOrders).toBe(0);
	});

	it("three 5xx answers, then success: retried with backoff, placed once", async () => {
		const { c, t, order } = await exitOne(-150, 75, { failTimes: 3 });
		await statusIs(t, order.id, "SENT");
		const s = await omsStats(c.clientId);
		expect(s).toMatchObject({ errors: 3, distinctOrders: 1, requests: 4 });
	});

	it("an order waiting on its first OMS attempt goes on the orders queue once: the Account's alarm does not send it again", async () => {
		const { c, t, order } = await exitOne(-150, 75, { hangTimes: 1 });
		const stub = env.ACCOUNTS.getByName(c.clientId);
		// The first attempt hangs until the relay's timeout (1 s here): meanwhile the order waits, PENDING.
		await eventually(async () => (await omsStats(c.clientId)).hung >= 1, "the first attempt hanging");
		expect((await t.order(order.id)).status).toBe("PENDING");
		const before = platformCalls().orderQueueMessages;
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(platformCalls().orderQueueMessages - before).toBe(0);
		await placementConfirmed(t, order.id);
		expect(await omsStats(c.clientId)).toMatchObject({ hung: 1, requests: 2, duplicates: 0, distinctOrders: 1 });
		// Records already sent leave SQLite with the alarm (or the next write), not right after their send.
		await eventually(async () => {
			await runDurableObjectAlarm(stub);
			const rows = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT seq FROM outbound_records").toArray());
			return rows.length === 0;
		}, "sent records dropped");
	});

	it("an Account that lost its memory while an order waits sends it once more; the OMS still holds it once", async () => {
		const { c, t, order } = await exitOne(-150, 75, { hangTimes: 1 });
		const stub = env.ACCOUNTS.getByName(c.clientId);
		await eventually(async () => (await omsStats(c.clientId)).hung >= 1, "the first attempt hanging");
		// What an eviction does to the Account's memory: the next event builds its state anew from SQLite.
		await runInDurableObject(stub, (account) => {
			(account as unknown as { booked: null }).booked = null;
		});
		const before = platformCalls().orderQueueMessages;
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(platformCalls().orderQueueMessages - before).toBeGreaterThanOrEqual(1);
		await placementConfirmed(t, order.id);
		expect(await omsStats(c.clientId)).toMatchObject({ hung: 1, distinctOrders: 1 });
		await eventually(
			() => query(async (db) => (await db.select().from(schema.orders).where(eq(schema.orders.id, order.id)))[0]?.status === "SENT"),
			"SENT in Postgres",
		);
	});

	it("a client's orders relayed together: the one the OMS failed is retried alone, the others are placed once", async () => {
		const c = await createClient({ positions: [shortOption(-4500)] });
		await omsBehaviour(c.clientId, { failTimes: 1 });
		const t = await trader(c.clientId);
		const res = await t.post("/api/square-offs", { positionId: c.positionIds[0] });
		const { orders } = (await res.json()) as { orders: Order[] };
		expect(orders.map((o) => o.quantity)).toEqual([1800, 1800, 900]);
		for (const o of orders) await statusIs(t, o.id, "SENT");
		expect(await omsStats(c.clientId)).toMatchObject({ errors: 1, requests: 4, distinctOrders: 3, duplicates: 0 });
	});

	it("a request that hangs past the timeout is retried; the OMS still holds one order", async () => {
		const { c, t, order } = await exitOne(-150, 75, { hangTimes: 1 });
		await placementConfirmed(t, order.id);
		expect(await omsStats(c.clientId)).toMatchObject({ hung: 1, distinctOrders: 1 });
	});

	it("an OMS that never answers well: the dead-letter queue marks the order FAILED and alerts ops once, through a webhook down for a whole delivery", async () => {
		const { c, t, order } = await exitOne(-150, 75, { mode: "error" });
		// Refused 4 times: all 3 tries of the first dead-letter delivery and the first of its retry.
		await refuseAlerts(c.clientId, 4);
		const failed = await statusIs(t, order.id, "FAILED");
		expect(failed.reason).toContain("could not be relayed");
		expect(itemAt(await t.positions(), 0, "position").pendingExitQty).toBe(0);
		const alerts = await eventually(async () => {
			const a = await alertsFor(c.clientId);
			return a.length > 0 && a;
		}, "alert");
		expect(alerts).toHaveLength(1);
		expect(itemAt(alerts, 0, "alert").text).toContain(order.id);
		expect((await alertSink(c.clientId)).refused).toBe(4);
		const audit = await eventually(
			() =>
				query(async (db) => {
					const rows = await db
						.select()
						.from(schema.auditLog)
						.where(and(eq(schema.auditLog.clientId, c.clientId), eq(schema.auditLog.action, "order.failed")));
					return rows.length > 0 && rows;
				}),
			"order.failed audited",
		);
		expect(audit).toHaveLength(1);
		// A redelivered dead letter changes nothing and alerts no one.
		const deadLetter: OrderMessage = {
			kind: "place",
			order: {
				orderId: order.id,
				clientId: c.clientId,
				exchange: order.exchange,
				symbol: order.symbol,
				side: order.side,
				quantity: order.quantity,
				orderType: order.orderType,
				product: order.product,
				expiresAt: new Date(Date.parse(order.createdAt) + 60_000).toISOString(),
			},
			acceptedAt: order.createdAt,
		};
		const again = await deliver("orders-dlq", [deadLetter], env);
		expect(again.result.explicitAcks).toHaveLength(1);
		expect(await alertSink(c.clientId)).toMatchObject({ alerts: [{ event: "order.failed" }], refused: 4 });
		expect(await t.order(order.id)).toMatchObject({ status: "FAILED", reason: failed.reason });
	});

	it("duplicate queue deliveries and duplicate OMS events: one order at the OMS, one fill counted", async () => {
		const { c, t, order } = await exitOne(-150, 75);
		await statusIs(t, order.id, "SENT");
		const stats = await omsStats(c.clientId);
		const relayed = stats.orders[0] as unknown as Extract<OrderMessage, { kind: "place" }>["order"];
		const message: OrderMessage = { kind: "place", order: relayed, acceptedAt: order.createdAt };
		await env.ORDERS.send(message);
		await env.ORDERS.send(message);
		const fill = {
			eventId: crypto.randomUUID(),
			orderId: order.id,
			clientId: c.clientId,
			type: "FILL" as const,
			fillQty: 75,
			fillPrice: "99.00",
		};
		expect(await (await omsEvent(fill)).json()).toMatchObject({ result: "applied" });
		expect(await (await omsEvent(fill)).json()).toMatchObject({ result: "duplicate" });
		expect(await t.order(order.id)).toMatchObject({ status: "COMPLETE", filledQty: 75 });
		expect(itemAt(await t.positions(), 0, "position").netQty).toBe(-75);
		// The redelivered place messages reach the relay, which sees the order is past PENDING.
		await eventually(
			() =>
				query(async (db) => {
					const rows = await db
						.select()
						.from(schema.auditLog)
						.where(and(eq(schema.auditLog.clientId, c.clientId), eq(schema.auditLog.action, "order.sent")));
					return rows.length === 1;
				}),
			"sent audited once",
		);
		expect((await omsStats(c.clientId)).distinctOrders).toBe(1);
	});

	it("an order the OMS took but whose answer was lost is sent again and counted once (Idempotency-Key = order id)", async () => {
		const { c, t, order } = await exitOne(-150, 75, { loseAnswerTimes: 1 });
		await placementConfirmed(t, order.id);
		expect(await omsStats(c.clientId)).toMatchObject({ requests: 2, duplicates: 1, distinctOrders: 1 });
	});

	it("partial fills keep the order OPEN and move the position by each fill", async () => {
		const { c, t, order } = await exitOne(-300, 225);
		await statusIs(t, order.id, "SENT");
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 75, fillPrice: "100.00" });
		expect(await t.order(order.id)).toMatchObject({ status: "OPEN", filledQty: 75 });
		expect((await t.positions())[0]).toMatchObject({ netQty: -225, pendingExitQty: 150 });
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 150, fillPrice: "103.00" });
		expect(await t.order(order.id)).toMatchObject({ status: "COMPLETE", filledQty: 225 });
		expect((await t.positions())[0]).toMatchObject({ netQty: -75, pendingExitQty: 0 });
		const row = await completeInPostgres(order.id);
		expect(row.avgFillPrice).toBe("102.00");
		// Over-reported fills never push filledQty past the quantity.
		const extra = await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 75, fillPrice: "100.00" });
		expect(await extra.json()).toMatchObject({ result: "unchanged" });
		await expectProblem(await (await trader(c.clientId)).post(`/api/orders/${order.id}/cancel`), 409, "ORDER_NOT_CANCELLABLE");
	});

	it("a cancel racing a fill: the fill counts, CANCELLED covers only the unfilled rest", async () => {
		const { c, t, order } = await exitOne(-300, 150, { holdFills: true });
		await statusIs(t, order.id, "SENT");
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "ACK" });
		expect((await t.post(`/api/orders/${order.id}/cancel`)).status).toBe(202);
		// The cancel reaches the OMS through the queue...
		await eventually(async () => (await omsStats(c.clientId)).cancels === 1, "cancel at the OMS");
		// ...while a fill of one lot had already happened there; its event arrives after the CANCELLED.
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "CANCELLED" });
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 75, fillPrice: "100.00" });
		expect(await t.order(order.id)).toMatchObject({ status: "CANCELLED", filledQty: 75 });
		expect((await t.positions())[0]).toMatchObject({ netQty: -225, pendingExitQty: 0 });
		await expectProblem(await t.post(`/api/orders/${order.id}/cancel`), 409, "ORDER_NOT_CANCELLABLE");
	});
});

describe("POST /oms/events", () => {
	it("a reload from replicated data that lags a fill made here never re-opens the filled quantity", async () => {
		const { c, t, order } = await exitOne(-150, 75);
		await statusIs(t, order.id, "SENT");
		await omsEvent({ orderId: order.id, clientId: c.clientId, type: "FILL", fillQty: 75, fillPrice: "99.00" });
		expect(itemAt(await t.positions(), 0, "position").netQty).toBe(-75);
		// Postgres still says -150 (the primary has not caught up): a reload keeps the fill.
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		expect(itemAt(await t.positions(), 0, "position").netQty).toBe(-75);
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 150 }), 422, "QTY_EXCEEDS_POSITION");
		// When the replicated quantity falls below ours (closed elsewhere), it wins.
		await query((db) =>
			db
				.update(schema.positions)
				.set({ netQty: -75 + 75 })
				.where(eq(schema.positions.id, itemAt(c.positionIds, 0, "position"))),
		);
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		expect(await t.positions()).toEqual([]);
	});

	it("lists the primary's pending orders, replicated in, after the client's own", async () => {
		const { c, t, order } = await exitOne(-150, 75);
		const primaryOrderId = `PRI-${c.clientId}`;
		await query((db) =>
			db.insert(schema.orders).values({
				id: primaryOrderId,
				clientId: c.clientId,
				origin: "primary",
				exchange: "NFO",
				symbol: "NIFTYTEST",
				side: "SELL",
				quantity: 150,
				orderType: "LIMIT",
				price: "120.50",
				product: "NRML",
				status: "OPEN",
			}),
		);
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		const orders = await t.orders();
		expect(orders.map((o) => o.id)).toEqual([order.id, primaryOrderId]);
		expect(orders[1]).toMatchObject({ squareOffId: null, status: "OPEN", price: "120.50", quantity: 150 });
	});

	it("takes many events in one request: answered one by one, in order per client, across clients", async () => {
		const a = await exitOne(-150, 75);
		const b = await exitOne(-150, 150);
		await statusIs(a.t, a.order.id, "SENT");
		await statusIs(b.t, b.order.id, "SENT");
		const fillA = {
			eventId: crypto.randomUUID(),
			orderId: a.order.id,
			clientId: a.c.clientId,
			type: "FILL" as const,
			fillQty: 75,
			fillPrice: "100.00",
		};
		const res = await omsEventBatch([
			{ orderId: b.order.id, clientId: b.c.clientId, type: "FILL", fillQty: 75, fillPrice: "101.00" },
			fillA,
			{ orderId: a.order.id, clientId: a.c.clientId, type: "ACK" },
			fillA,
			{ orderId: "unknown", clientId: a.c.clientId, type: "ACK" },
			{ orderId: b.order.id, clientId: b.c.clientId, type: "FILL", fillQty: 75, fillPrice: "101.00" },
		]);
		expect(res.status).toBe(200);
		const { results } = (await res.json()) as { results: { eventId: string; result: string }[] };
		expect(results.map((r) => r.result)).toEqual(["applied", "applied", "unchanged", "duplicate", "unknown_order", "applied"]);
		expect(itemAt(results, 1, "result").eventId).toBe(fillA.eventId);
		expect(await a.t.order(a.order.id)).toMatchObject({ status: "COMPLETE", filledQty: 75 });
		expect(await b.t.order(b.order.id)).toMatchObject({ status: "COMPLETE", filledQty: 150 });
		expect(itemAt(await a.t.positions(), 0, "position").netQty).toBe(-75);
		expect(await b.t.positions()).toEqual([]);
	});

	it("refuses a whole batch when one event in it is bad, and applies none of it", async () => {
		const { c, t, order } = await exitOne(-150, 150);
		await statusIs(t, order.id, "SENT");
		const fill = { orderId: order.id, clientId: c.clientId, type: "FILL" as const, fillQty: 75, fillPrice: "100.00" };
		const bad = await expectProblem(await omsEventBatch([fill, { ...fill, fillQty: undefined }]), 400, "INVALID_BODY");
		expect(bad.detail).toMatch(/^events\.1: a FILL carries fillQty/);
		await expectProblem(await omsEventBatch([]), 400, "INVALID_BODY");
		await expectProblem(await omsEventBatch(Array.from({ length: 501 }, () => fill)), 400, "INVALID_BODY");
		await expectProblem(await omsEventBatch([fill], { secret: "wrong" }), 401, "INVALID_SIGNATURE");
		expect(await t.order(order.id)).toMatchObject({ status: "SENT", filledQty: 0 });
		expect(itemAt(await t.positions(), 0, "position").netQty).toBe(-150);
	});

	it("refuses bad signatures, stale timestamps, malformed events and unknown orders", async () => {
		const { c, order } = await exitOne(-75, 75);
		const ev = { orderId: order.id, clientId: c.clientId, type: "ACK" as const };
		await expectProblem(await omsEvent(ev, { secret: "wrong" }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent(ev, { nowSeconds: Math.floor(Date.now() / 1000) - 3600 }), 401, "INVALID_SIGNATURE");
		await expectProblem(await omsEvent({ ...ev, orderId: "unknown" }), 404, "ORDER_NOT_FOUND");
		await expectProblem(await omsEvent({ ...ev, type: "FILL" }), 400, "INVALID_BODY");
		await expectProblem(await omsEvent({ ...ev, clientId: "" }), 400, "INVALID_BODY");
	});
});
