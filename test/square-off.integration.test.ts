import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { openDb, schema } from "../src/db/client";
import type { Order, Position } from "../src/contract";
import { createClient, type PositionSpec, type TestClient } from "./fixtures";
import { call, expectProblem, opsHeaders, SITE, setFailover, statementsRunBy } from "./helpers";
import { tradingDayStart } from "../src/trading/rules";
import { eventually, omsBehaviour, omsEvent, omsExistingOrders, omsStats, trader } from "./trading-helpers";

const shortNiftyOption = (netQty: number): PositionSpec => ({
	instrument: { segment: "OPT", lotSize: 75, freezeQty: 1800, tickSize: "0.05", priceBandLow: "10.00", priceBandHigh: "500.00" },
	netQty,
	product: "NRML",
});
const longEquity = (netQty: number): PositionSpec => ({ instrument: { segment: "EQ" }, netQty, product: "MIS" });

async function accepted(res: Response) {
	if (res.status !== 202) throw new Error(`expected 202, got ${res.status} ${await res.text()}`);
	return (await res.json()) as { squareOffId: string; orders: Order[] };
}

/**
 * The primary's pending orders on the client's first position, as replication brings them into
 * Postgres; the OMS simulator holds them open, as the broker's OMS would. Returns their ids.
 */
async function primaryOrders(
	c: TestClient,
	specs: { name: string; side: "BUY" | "SELL"; quantity: number; filledQty?: number; linked?: boolean }[],
): Promise<string[]> {
	const positionId = itemAt(c.positionIds, 0, "position");
	const db = openDb(env);
	try {
		const instruments = await db.db
			.select({ exchange: schema.instruments.exchange, symbol: schema.instruments.symbol })
			.from(schema.positions)
			.innerJoin(schema.instruments, eq(schema.positions.instrumentId, schema.instruments.id))
			.where(eq(schema.positions.id, positionId));
		const { exchange, symbol } = itemAt(instruments, 0, "instrument");
		const rows = specs.map((o) => ({
			id: `PRI-${o.name}-${c.clientId}`,
			clientId: c.clientId,
			origin: "primary" as const,
			positionId: o.linked === false ? null : positionId,
			exchange,
			symbol,
			side: o.side,
			quantity: o.quantity,
			filledQty: o.filledQty ?? 0,
			orderType: "LIMIT" as const,
			price: "20.00",
			product: "NRML" as const,
			status: "OPEN" as const,
		}));
		await db.db.insert(schema.orders).values(rows);
		await omsExistingOrders(
			rows.map((r) => ({
				orderId: r.id,
				clientId: r.clientId,
				exchange,
				symbol,
				side: r.side,
				quantity: r.quantity,
				orderType: "LIMIT",
				price: "20.00",
				product: "NRML",
			})),
		);
		return rows.map((r) => r.id);
	} finally {
		await db.close();
	}
}

beforeAll(() => setFailover(true));

describe("square-off rules over HTTP", () => {
	it("a long equity exits whole with one SELL in its own product, and the OMS gets market protection", async () => {
		const c = await createClient({ positions: [longEquity(37)] });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		expect(orders).toMatchObject([{ side: "SELL", quantity: 37, product: "MIS", exchange: "NSE", orderType: "MARKET", status: "PENDING" }]);
		const sim = await eventually(async () => {
			const s = await omsStats(c.clientId);
			return s.distinctOrders === 1 && s;
		}, "order at the OMS");
		expect(sim.orders[0]).toMatchObject({
			orderId: itemAt(orders, 0, "order").id,
			side: "SELL",
			quantity: 37,
			marketProtection: Number(env.MARKET_PROTECTION_PCT),
		});
	});

	it("a short option above the freeze quantity exits as BUY slices of whole lots: 1800 + 450", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-2250)] });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		expect(orders.map((o) => [o.side, o.quantity, o.product])).toEqual([
			["BUY", 1800, "NRML"],
			["BUY", 450, "NRML"],
		]);
	});

	it("exactly the freeze quantity is one order; one lot above it is two", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-1800), shortNiftyOption(-1875)] });
		const t = await trader(c.clientId);
		const one = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		expect(one.orders.map((o) => o.quantity)).toEqual([1800]);
		const two = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[1] }));
		expect(two.orders.map((o) => o.quantity)).toEqual([1800, 75]);
	});

	it("partial exits reserve quantity until the last lot; one unit more is refused and audited", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-300)] });
		const t = await trader(c.clientId);
		await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 75 }));
		const [p] = await t.positions();
		expect(p).toMatchObject({ netQty: -300, pendingExitQty: 75 });
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 300 }), 422, "QTY_EXCEEDS_POSITION");
		await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 150 }));
		const last = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		expect(last.orders.map((o) => o.quantity)).toEqual([75]);
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 75 }), 422, "QTY_EXCEEDS_POSITION");
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 422, "NOTHING_TO_EXIT");
		const refusals = await eventually(async () => {
			const { db, close } = openDb(env);
			try {
				const rows = await db
					.select()
					.from(schema.auditLog)
					.where(and(eq(schema.auditLog.clientId, c.clientId), eq(schema.auditLog.action, "squareoff.refused")));
				return rows.length === 3 && rows;
			} finally {
				await close();
			}
		}, "refusals audited");
		expect(refusals.map((r) => (r.detail as { code: string }).code).sort()).toEqual([
			"NOTHING_TO_EXIT",
			"QTY_EXCEEDS_POSITION",
			"QTY_EXCEEDS_POSITION",
		]);
	});

	it("refuses quantities off the lot, prices off the tick or outside the band, and malformed bodies", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-150)] });
		const t = await trader(c.clientId);
		const positionId = c.positionIds[0];
		await expectProblem(await t.post("/api/square-offs", { positionId, quantity: 100 }), 422, "NOT_LOT_MULTIPLE");
		await expectProblem(await t.post("/api/square-offs", { positionId, orderType: "LIMIT", price: "20.03" }), 422, "PRICE_NOT_ON_TICK");
		await expectProblem(await t.post("/api/square-offs", { positionId, orderType: "LIMIT", price: "9.95" }), 422, "PRICE_OUTSIDE_BAND");
		await expectProblem(await t.post("/api/square-offs", { positionId, orderType: "LIMIT", price: "500.05" }), 422, "PRICE_OUTSIDE_BAND");
		await expectProblem(await t.post("/api/square-offs", { positionId, orderType: "LIMIT" }), 400, "INVALID_BODY");
		await expectProblem(await t.post("/api/square-offs", { positionId, orderType: "LIMIT", price: "20.055" }), 400, "INVALID_BODY");
		await expectProblem(await t.post("/api/square-offs", { positionId, quantity: -75 }), 400, "INVALID_BODY");
		await expectProblem(await t.post("/api/square-offs", { positionId, quantity: 7.5 }), 400, "INVALID_BODY");
		await expectProblem(await t.post("/api/square-offs", {}), 400, "INVALID_BODY");
		const p = itemAt(await t.positions(), 0, "position");
		expect(p.pendingExitQty).toBe(0);
		const edge = await accepted(await t.post("/api/square-offs", { positionId, orderType: "LIMIT", price: "500.00" }));
		expect(edge.orders).toMatchObject([{ orderType: "LIMIT", price: "500.00", quantity: 150 }]);
	});

	it("the primary's pending exit orders count against what is left to exit; its orders adding to the position do not", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-300)] });
		const ids = await primaryOrders(c, [
			{ name: "exit", side: "BUY", quantity: 150, filledQty: 75 }, // covers its unfilled 75
			{ name: "unlinked", side: "BUY", quantity: 75, linked: false }, // same instrument and product, no position id: covers 75
			{ name: "adds", side: "SELL", quantity: 75 }, // adds to the short: covers nothing
		]);
		const t = await trader(c.clientId);
		// The client's first request is the orders list: it loads the primary's pending orders too.
		expect((await t.orders()).map((o) => o.id).sort()).toEqual([...ids].sort());
		expect((await t.positions())[0]).toMatchObject({ netQty: -300, pendingExitQty: 150 });
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 225 }), 422, "QTY_EXCEEDS_POSITION");
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		expect(orders.map((o) => [o.side, o.quantity])).toEqual([["BUY", 150]]);
	});

	it("cancels one of the primary's pending orders through the OMS; once the OMS confirms, it no longer covers the position", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-300)] });
		const id = itemAt(await primaryOrders(c, [{ name: "exit", side: "BUY", quantity: 150 }]), 0, "primary order");
		const t = await trader(c.clientId);
		expect(itemAt(await t.positions(), 0, "position").pendingExitQty).toBe(150);
		const res = await t.post(`/api/orders/${id}/cancel`);
		expect(res.status).toBe(202);
		expect(((await res.json()) as { order: Order }).order).toMatchObject({ id, status: "OPEN", squareOffId: null });
		expect((await t.post(`/api/orders/${id}/cancel`)).status).toBe(202); // asked twice, sent once
		const sim = await eventually(async () => {
			const s = await omsStats(c.clientId);
			return s.cancels > 0 && s;
		}, "cancel at the OMS");
		expect(sim.cancels).toBe(1);
		expect((await (await omsEvent({ orderId: id, clientId: c.clientId, type: "CANCELLED" })).json()) as object).toMatchObject({
			result: "applied",
		});
		expect((await t.order(id)).status).toBe("CANCELLED");
		expect(itemAt(await t.positions(), 0, "position").pendingExitQty).toBe(0);
		// Both the request and the OMS's word are audited (and so in the outbox for failback).
		await eventually(async () => {
			const db = openDb(env);
			try {
				const rows = await db.db
					.select({ action: schema.auditLog.action })
					.from(schema.auditLog)
					.where(eq(schema.auditLog.clientId, c.clientId));
				const actions = rows.map((r) => r.action);
				return actions.includes("order.cancel_requested") && actions.includes("order.primary_cancelled");
			} finally {
				await db.close();
			}
		}, "cancel audited");
		// Replicated data still says OPEN (the primary is down): a reload keeps what the OMS said.
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		expect((await t.order(id)).status).toBe("CANCELLED");
		await expectProblem(await t.post(`/api/orders/${id}/cancel`), 409, "ORDER_NOT_CANCELLABLE");
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		expect(orders.map((o) => [o.side, o.quantity])).toEqual([["BUY", 300]]);
	});

	it("a fill of the primary's order reported by the OMS moves the position at once, and a reload of lagging data keeps it", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-300)] });
		const id = itemAt(await primaryOrders(c, [{ name: "exit", side: "BUY", quantity: 150, filledQty: 25 }]), 0, "primary order");
		const t = await trader(c.clientId);
		expect((await t.positions())[0]).toMatchObject({ netQty: -300, pendingExitQty: 125 });
		const fill = {
			eventId: crypto.randomUUID(),
			orderId: id,
			clientId: c.clientId,
			type: "FILL" as const,
			fillQty: 50,
			fillPrice: "20.00",
		};
		expect(await (await omsEvent(fill)).json()).toMatchObject({ result: "applied" });
		expect(await (await omsEvent(fill)).json()).toMatchObject({ result: "duplicate" });
		expect((await t.positions())[0]).toMatchObject({ netQty: -250, pendingExitQty: 75 });
		expect(await t.order(id)).toMatchObject({ filledQty: 75, status: "OPEN" });
		// Replicated data still says -300 and 25 filled: a reload keeps what the OMS reported.
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		expect((await t.positions())[0]).toMatchObject({ netQty: -250, pendingExitQty: 75 });
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 225 }), 422, "QTY_EXCEEDS_POSITION");
		// The rest fills: a fill beyond what is left counts only what is left.
		await omsEvent({ orderId: id, clientId: c.clientId, type: "FILL", fillQty: 100, fillPrice: "20.00" });
		expect(await t.order(id)).toMatchObject({ filledQty: 150, status: "COMPLETE" });
		expect((await t.positions())[0]).toMatchObject({ netQty: -175, pendingExitQty: 0 });
	});

	it("exit-all closes the short legs before the long legs that hedge them, sliced, and then has nothing left", async () => {
		const c = await createClient({
			positions: [
				{ instrument: { segment: "OPT", underlying: "NIFTY", optionType: "PE" }, netQty: 150 },
				shortNiftyOption(-1875),
				{ instrument: { segment: "FUT", underlying: "BANKNIFTY", lotSize: 30, freezeQty: 900 }, netQty: 60 },
				{ instrument: { segment: "OPT", underlying: "BANKNIFTY", lotSize: 30, freezeQty: 900 }, netQty: -30 },
				longEquity(5),
			],
		});
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		const sides = orders.map((o) => o.side);
		expect(sides.lastIndexOf("BUY")).toBeLessThan(sides.indexOf("SELL"));
		expect(
			orders
				.filter((o) => o.side === "BUY")
				.map((o) => o.quantity)
				.sort((a, b) => a - b),
		).toEqual([30, 75, 1800]);
		expect(
			orders
				.filter((o) => o.side === "SELL")
				.map((o) => o.quantity)
				.sort((a, b) => a - b),
		).toEqual([5, 60, 150]);
		await expectProblem(await t.post("/api/square-offs/all", {}), 422, "NOTHING_TO_EXIT");
	});

	it("exit-all can be limited to a segment", async () => {
		const c = await createClient({ positions: [longEquity(10), shortNiftyOption(-75)] });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs/all", { segment: "EQ" }));
		expect(orders.map((o) => [o.side, o.quantity])).toEqual([["SELL", 10]]);
	});

	it("lists the orders of the trading day (since midnight IST) and any older one still open; ops still see them all", async () => {
		const c = await createClient({ positions: [longEquity(10), shortNiftyOption(-150)] });
		await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
		const t = await trader(c.clientId);
		const done = (await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 5 }))).orders[0]!;
		const open = (await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[1], quantity: 75 }))).orders[0]!;
		const today = (await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 5 }))).orders[0]!;
		await eventually(async () => (await omsStats(c.clientId)).orders.length === 3, "all three at the OMS");
		await omsEvent({ orderId: done.id, clientId: c.clientId, type: "FILL", fillQty: 5, fillPrice: "100.00" });
		await eventually(async () => (await t.order(done.id)).status === "COMPLETE", "first order COMPLETE");
		// Two of them were accepted a minute before today's trading day began.
		const yesterday = new Date(Date.parse(tradingDayStart(Date.now())) - 60_000).toISOString();
		await runInDurableObject(env.ACCOUNTS.getByName(c.clientId), (_, state) => {
			state.storage.sql.exec("UPDATE orders SET created_at = ? WHERE id IN (?, ?)", yesterday, done.id, open.id);
		});
		expect((await t.orders()).map((o) => o.id)).toEqual([today.id, open.id]);
		const ops = await call(`/ops/clients/${c.clientId}`, { headers: opsHeaders });
		expect(((await ops.json()) as { orders: Order[] }).orders.map((o) => o.id)).toEqual([today.id, open.id, done.id]);
	});
});

describe("idempotency", () => {
	it("replays the first answer for the same key and body, refuses a changed body, requires the key", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-150)] });
		const t = await trader(c.clientId);
		const body = { positionId: c.positionIds[0], quantity: 75 };
		const first = await accepted(await t.post("/api/square-offs", body, "key-1"));
		const again = await accepted(await t.post("/api/square-offs", body, "key-1"));
		expect(again).toEqual(first);
		await expectProblem(await t.post("/api/square-offs", { ...body, quantity: 150 }, "key-1"), 422, "IDEMPOTENCY_KEY_REUSED");
		await expectProblem(await t.post("/api/square-offs", body, null), 400, "IDEMPOTENCY_KEY_REQUIRED");
		await expectProblem(await t.post("/api/square-offs", body, "k".repeat(256)), 400, "IDEMPOTENCY_KEY_INVALID");
		expect((await t.orders()).length).toBe(1);
		// A refusal is an answer too: replayed as given.
		const refusal = await t.post("/api/square-offs", { ...body, quantity: 150 }, "key-2");
		await expectProblem(refusal, 422, "QTY_EXCEEDS_POSITION");
		await expectProblem(await t.post("/api/square-offs", { ...body, quantity: 150 }, "key-2"), 422, "QTY_EXCEEDS_POSITION");
	});

	it("answers 409 to the same key while the first request is still running", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-150)] });
		const t = await trader(c.clientId);
		const body = { positionId: c.positionIds[0], quantity: 75 };
		// The first request of a client loads its positions from Postgres: the second arrives meanwhile.
		const [a, b] = await Promise.all([t.post("/api/square-offs", body, "same"), t.post("/api/square-offs", body, "same")]);
		expect([a.status, b.status].sort()).toEqual([202, 409]);
		await expectProblem(a.status === 409 ? a : b, 409, "IDEMPOTENCY_KEY_IN_FLIGHT");
		expect(await t.post("/api/square-offs", body, "same").then((r) => r.status)).toBe(202);
		expect((await t.orders()).length).toBe(1);
	});
});

describe("standby, isolation, concurrency, hot path", () => {
	it("refuses square-offs with 503 PRIMARY_ACTIVE in standby, but lets cancels through and replays an exit already accepted", async () => {
		const c = await createClient({ positions: [longEquity(10)] });
		const t = await trader(c.clientId);
		const first = await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 4 }, "before-standby");
		const { orders } = await accepted(first.clone());
		await setFailover(false);
		try {
			await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 503, "PRIMARY_ACTIVE");
			await expectProblem(await t.post("/api/square-offs/all", {}), 503, "PRIMARY_ACTIVE");
			// The trader's retry of the exit that was accepted (its 202 lost on the way) gets the same answer, not a 503.
			const retry = await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 4 }, "before-standby");
			expect(retry.status).toBe(202);
			expect(await retry.json()).toEqual(await first.json());
			// The same key with another body is still refused as reused; a new key in standby is still 503.
			await expectProblem(
				await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 5 }, "before-standby"),
				422,
				"IDEMPOTENCY_KEY_REUSED",
			);
			await expectProblem(
				await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 4 }, "in-standby"),
				503,
				"PRIMARY_ACTIVE",
			);
			const cancel = await t.post(`/api/orders/${itemAt(orders, 0, "order").id}/cancel`);
			expect(cancel.status).toBe(202);
		} finally {
			await setFailover(true);
		}
		expect((await t.orders()).length).toBe(1);
	});

	it("one client never reaches another's positions or orders (404)", async () => {
		const a = await createClient({ positions: [longEquity(10)] });
		const b = await createClient({ positions: [longEquity(10)] });
		const ta = await trader(a.clientId);
		const tb = await trader(b.clientId);
		const { orders } = await accepted(await ta.post("/api/square-offs", { positionId: a.positionIds[0] }));
		await expectProblem(await tb.post("/api/square-offs", { positionId: a.positionIds[0] }), 404, "POSITION_NOT_FOUND");
		await expectProblem(await tb.post(`/api/orders/${itemAt(orders, 0, "order").id}/cancel`), 404, "ORDER_NOT_FOUND");
		expect((await tb.positions()).map((p) => p.id)).toEqual([b.positionIds[0]]);
		expect(await tb.orders()).toEqual([]);
		expect((await ta.orders()).map((o) => o.id)).toEqual([itemAt(orders, 0, "order").id]);
	});

	it("the Account checks the session in the same call: a revoked session or a disabled client places nothing", async () => {
		const c = await createClient({ positions: [{ instrument: { segment: "EQ" }, netQty: 10 }] });
		const t = await trader(c.clientId);
		expect(itemAt(await t.positions(), 0, "position").netQty).toBe(10);
		const logout = await call("/api/auth/logout", { method: "POST", headers: { cookie: t.cookie, origin: SITE } });
		expect(logout.status).toBe(204);
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/api/positions", { headers: { cookie: t.cookie } }), 401, "UNAUTHENTICATED");
		await expectProblem(await call("/api/orders", { headers: { cookie: t.cookie } }), 401, "UNAUTHENTICATED");

		const other = await trader(c.clientId);
		await env.ACCOUNTS.getByName(c.clientId).setClientStatus("disabled");
		await expectProblem(await other.post("/api/square-offs", { positionId: c.positionIds[0] }), 401, "UNAUTHENTICATED");
		await expectProblem(await other.post("/api/orders/cancel-all"), 401, "UNAUTHENTICATED");
		await env.ACCOUNTS.getByName(c.clientId).setClientStatus("active");
		expect((await other.orders()).length).toBe(0);
		expect((await omsStats(c.clientId)).distinctOrders).toBe(0);
	});

	it("60 concurrent square-offs from 3 sessions never exit more than is open", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-750), longEquity(20)] });
		const sessions = await Promise.all([trader(c.clientId), trader(c.clientId), trader(c.clientId)]);
		const results = await Promise.all(
			Array.from({ length: 60 }, (_, i) => {
				const t = itemAt(sessions, i % 3, "session");
				// Mixed sizes: one lot, two lots, or "all that is left".
				const quantity = i % 5 === 0 ? undefined : i % 2 === 0 ? 150 : 75;
				return t.post("/api/square-offs", { positionId: c.positionIds[0], quantity });
			}),
		);
		let exited = 0;
		for (const res of results) {
			if (res.status === 202) exited += (await accepted(res)).orders.reduce((s, o) => s + o.quantity, 0);
			else expect([422]).toContain(res.status);
		}
		expect(exited).toBe(750);
		const orders = await sessions[0].orders();
		expect(orders.reduce((s, o) => s + o.quantity, 0)).toBe(750);
		const p = (await sessions[1].positions()).find((x) => x.id === c.positionIds[0]);
		expect(p).toMatchObject({ netQty: -750, pendingExitQty: 750 });
	});

	it("after the first load, square-offs run no Postgres query; a first load is two statements, a reload one", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-1500), longEquity(10)] });
		const t = await trader(c.clientId);
		const label = `account:${c.clientId}`;
		await t.positions();
		// The first load registers the Account as a listener, then reads past that registration.
		const firstLoad = await eventually(async () => {
			const n = await statementsRunBy(label);
			return n >= 2 && n;
		}, "first load counted");
		expect(firstLoad).toBe(2);
		for (let i = 0; i < 5; i++) await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 75 }));
		await accepted(await t.post("/api/square-offs/all", {}));
		await t.positions();
		await t.orders();
		// A reload through the same label proves the counter is live: one statement more, no other.
		await env.ACCOUNTS.getByName(c.clientId).refreshPositions(c.clientId);
		const total = await eventually(async () => {
			const n = await statementsRunBy(label);
			return n >= 3 && n;
		}, "reload counted");
		expect(total).toBe(3);
	});
});

describe("cancels and the live socket", () => {
	it("cancels a live order, cancel-all covers the rest, an unknown order is 404", async () => {
		const c = await createClient({ positions: [shortNiftyOption(-300)] });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 150 }));
		const cancel = await t.post(`/api/orders/${itemAt(orders, 0, "order").id}/cancel`);
		expect(cancel.status).toBe(202);
		const rest = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], quantity: 75 }));
		const all = await t.post("/api/orders/cancel-all");
		expect(all.status).toBe(202);
		const ids = ((await all.json()) as { orders: Order[] }).orders.map((o) => o.id);
		expect(ids).toContain(itemAt(rest.orders, 0, "order").id);
		await expectProblem(await t.post("/api/orders/nope/cancel"), 404, "ORDER_NOT_FOUND");
	});

	it("pushes order and position changes to the client's live socket", async () => {
		const c = await createClient({ positions: [longEquity(10)] });
		const t = await trader(c.clientId);
		const res = await exports.default.fetch(
			new Request(`${SITE}/api/orders/live`, { headers: { upgrade: "websocket", cookie: t.cookie, origin: SITE } }),
		);
		expect(res.status).toBe(101);
		const ws = res.webSocket!;
		ws.accept();
		const messages: { type: string; order?: Order; position?: Position }[] = [];
		ws.addEventListener("message", (e) => {
			messages.push(JSON.parse(String(e.data)));
		});
		await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		const pos = await eventually(async () => messages.find((m) => m.type === "position"), "position pushed");
		expect(pos.position).toMatchObject({ id: c.positionIds[0], pendingExitQty: 10 });
		await eventually(async () => messages.find((m) => m.type === "order" && m.order?.status === "SENT"), "order pushed");
		ws.close();
		await expectProblem(await call("/api/orders/live", { headers: { cookie: t.cookie } }), 426, "UPGRADE_REQUIRED");
		await expectProblem(await call("/api/orders/live", { headers: { upgrade: "websocket" } }), 401, "UNAUTHENTICATED");
	});
});
