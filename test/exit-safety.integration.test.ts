// Exits that never hurt the trader: hedges kept in exit-all, the unhedging guard, strict bodies,
// orders that expire instead of going out late, and orders of unknown outcome that keep counting
// until the OMS says what it holds. Against the real runtime, queues, Postgres and OMS simulator.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Order } from "../src/contract";
import { createClient, type PositionSpec } from "./fixtures";
import { alertsFor, eventually, omsBehaviour, omsEvent, omsStats, statusIs, type Trader, trader } from "./trading-helpers";
import { call, expectProblem, opsHeaders, SITE, setFailover } from "./helpers";

const option = (underlying: string, netQty: number): PositionSpec => ({
	instrument: { segment: "OPT", underlying, lotSize: 75, freezeQty: 1800 },
	netQty,
	product: "NRML",
});
const future = (underlying: string, netQty: number): PositionSpec => ({
	instrument: { segment: "FUT", underlying, lotSize: 75, freezeQty: 1800 },
	netQty,
	product: "NRML",
});

async function accepted(res: Response) {
	if (res.status !== 202) throw new Error(`expected 202, got ${res.status} ${await res.text()}`);
	return (await res.json()) as { squareOffId: string; orders: Order[] };
}

const atOms = async (clientId: string) => new Set((await omsStats(clientId)).orders.map((o) => o.orderId));

/** Fills every order the OMS holds for the client, as the exchange would, by signed events. */
async function fillAtOms(clientId: string, ids: string[]) {
	for (const id of ids) {
		const o = (await omsStats(clientId)).orders.find((x) => x.orderId === id);
		if (o) await omsEvent({ orderId: id, clientId, type: "FILL", fillQty: Number(o.quantity), fillPrice: "100.00" });
	}
}

beforeAll(() => setFailover(true));

describe("exit all keeps hedges", () => {
	it("sends the short legs first; the long legs of that underlying wait, then go once the shorts are COMPLETE; other underlyings go at once", async () => {
		const c = await createClient({ positions: [option("NIFTY", 150), option("NIFTY", -150), future("BANKNIFTY", 75)] });
		await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		const short = orders.filter((o) => o.side === "BUY");
		const [longNifty] = orders.filter((o) => o.side === "SELL" && o.positionId === c.positionIds[0]);
		const [bankNifty] = orders.filter((o) => o.positionId === c.positionIds[2]);
		expect(longNifty).toMatchObject({ status: "PENDING", reason: expect.stringContaining("waiting for the short legs of NIFTY") });
		// The other underlying and the short leg reach the OMS; the hedge does not.
		await eventually(async () => {
			const sent = await atOms(c.clientId);
			return sent.has(bankNifty!.id) && short.every((o) => sent.has(o.id)) && sent;
		}, "short legs and BANKNIFTY at the OMS");
		expect(await atOms(c.clientId)).not.toContain(longNifty!.id);
		expect((await t.positions()).find((p) => p.id === c.positionIds[0])?.pendingExitQty).toBe(150);
		// The short fills: the long leg is released (with the expiry it got when accepted) and reaches the OMS.
		await fillAtOms(
			c.clientId,
			short.map((o) => o.id),
		);
		await eventually(async () => (await atOms(c.clientId)).has(longNifty!.id), "long leg at the OMS after the short filled");
		const sentLong = (await omsStats(c.clientId)).orders.find((o) => o.orderId === longNifty!.id);
		expect(Date.parse(String(sentLong?.expiresAt)) - Date.parse(longNifty!.createdAt)).toBe(Number(env.MARKET_ORDER_TTL_SECONDS) * 1000);
	});

	it("fails a long leg still waiting at its expiry: the alarm ends it FAILED, and it never reaches the OMS when the short fills later", async () => {
		const c = await createClient({ positions: [option("NIFTY", 150), option("NIFTY", -150)] });
		await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		const long = orders.find((o) => o.side === "SELL")!;
		const short = orders.find((o) => o.side === "BUY")!;
		await eventually(async () => (await atOms(c.clientId)).has(short.id), "short leg at the OMS");
		// Its expiry passes while the short is still open (moved back in storage rather than waited for).
		const stub = env.ACCOUNTS.getByName(c.clientId);
		await runInDurableObject(stub, (_, state) => {
			state.storage.sql.exec("UPDATE orders SET expires_at = ? WHERE id = ?", new Date(Date.now() - 1000).toISOString(), long.id);
		});
		expect(await runDurableObjectAlarm(stub)).toBe(true);
		expect(await t.order(long.id)).toMatchObject({ status: "FAILED", reason: expect.stringContaining("expired") });
		expect((await t.positions()).find((p) => p.id === c.positionIds[0])?.pendingExitQty).toBe(0);
		await fillAtOms(c.clientId, [short.id]);
		await eventually(async () => (await t.order(short.id)).status === "COMPLETE", "short leg COMPLETE");
		expect(await atOms(c.clientId)).not.toContain(long.id);
	});

	it("keeps the hedge when a short leg is rejected: the waiting long legs end CANCELLED and never reach the OMS", async () => {
		const c = await createClient({ positions: [option("NIFTY", 150), option("NIFTY", -150)] });
		await omsBehaviour(c.clientId, { mode: "reject" });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		const long = orders.find((o) => o.side === "SELL");
		const kept = await eventually(async () => {
			const o = await t.order(long!.id);
			return o.status === "CANCELLED" && o;
		}, "long leg CANCELLED");
		expect(kept.reason).toContain("hedge kept");
		const stats = await omsStats(c.clientId);
		expect(stats.requests).toBe(1);
		expect(stats.orders).toHaveLength(0);
		expect((await t.positions()).find((p) => p.id === c.positionIds[0])).toMatchObject({ netQty: 150, pendingExitQty: 0 });
	});

	it("holds the long legs while a short-side exit sent before the exit-all is still live, and only a short that ended after them keeps the hedge", async () => {
		const c = await createClient({ positions: [option("NIFTY", 150), option("NIFTY", -300)] });
		const [longId, shortId] = c.positionIds;
		const t = await trader(c.clientId);
		// A short exit rejected before the exit-all was not waited for: it must not cancel the hedge's exit later.
		await omsBehaviour(c.clientId, { mode: "reject" });
		const rejected = (await accepted(await t.post("/api/square-offs", { positionId: shortId, quantity: 75 }))).orders[0]!;
		await eventually(async () => (await t.order(rejected.id)).status === "REJECTED", "first short exit REJECTED");
		await omsBehaviour(c.clientId, { mode: "accept", holdFills: true, ackDelayMs: 0 });
		// Half the short is on its way out on its own when the trader exits all.
		const earlier = (await accepted(await t.post("/api/square-offs", { positionId: shortId, quantity: 150 }))).orders[0]!;
		await eventually(async () => (await atOms(c.clientId)).has(earlier.id), "earlier short exit at the OMS");
		const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
		const long = orders.find((o) => o.positionId === longId)!;
		const rest = orders.find((o) => o.positionId === shortId)!;
		expect(long).toMatchObject({ status: "PENDING", reason: expect.stringContaining("waiting for the short legs of NIFTY") });
		expect(rest).toMatchObject({ side: "BUY", quantity: 150 });

		// The exit-all's own short leg fills; the earlier one is still open: the long leg waits.
		await eventually(async () => (await atOms(c.clientId)).has(rest.id), "exit-all's short leg at the OMS");
		await fillAtOms(c.clientId, [rest.id]);
		await eventually(async () => (await t.order(rest.id)).status === "COMPLETE", "exit-all's short leg COMPLETE");
		expect(await t.order(long.id)).toMatchObject({ status: "PENDING" });
		expect(await atOms(c.clientId)).not.toContain(long.id);

		// The earlier short fills too: the long leg goes, with the expiry it got when it was accepted.
		await fillAtOms(c.clientId, [earlier.id]);
		await eventually(async () => (await atOms(c.clientId)).has(long.id), "long leg at the OMS once no short exit is live");
		const sentLong = (await omsStats(c.clientId)).orders.find((o) => o.orderId === long.id);
		expect(Date.parse(String(sentLong?.expiresAt)) - Date.parse(long.createdAt)).toBe(Number(env.MARKET_ORDER_TTL_SECONDS) * 1000);
	});

	it("keeps the hedge when a short leg accepted after the long leg (which waited for it too) is rejected", async () => {
		const c = await createClient({ positions: [future("NIFTY", 75), option("NIFTY", -150)] });
		const [longId, shortId] = c.positionIds;
		await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
		const t = await trader(c.clientId);
		// Half the short is on its way out; exiting the futures then holds the long leg behind it.
		const first = (await accepted(await t.post("/api/square-offs", { positionId: shortId, quantity: 75 }))).orders[0]!;
		await eventually(async () => (await atOms(c.clientId)).has(first.id), "first short exit at the OMS");
		const long = (await accepted(await t.post("/api/square-offs/all", { segment: "FUT" }))).orders[0]!;
		expect(long).toMatchObject({ positionId: longId, status: "PENDING", reason: expect.stringContaining("waiting for the short legs") });
		// The rest of the short is exited after the long leg was accepted, and the OMS rejects it.
		await omsBehaviour(c.clientId, { mode: "reject", holdFills: true, ackDelayMs: 0 });
		const second = (await accepted(await t.post("/api/square-offs/all", { segment: "OPT" }))).orders[0]!;
		await eventually(async () => (await t.order(second.id)).status === "REJECTED", "second short exit REJECTED");
		expect(await t.order(long.id)).toMatchObject({ status: "PENDING" });
		await fillAtOms(c.clientId, [first.id]);
		const kept = await statusIs(t, long.id, "CANCELLED");
		expect(kept.reason).toContain("hedge kept");
		expect(await atOms(c.clientId)).not.toContain(long.id);
	});

	it("property: over random positions across underlyings, no long-side exit reaches the OMS before its underlying's short-side exits have filled", async () => {
		const underlyings = ["NIFTY", "BANKNIFTY", "FINNIFTY"];
		const leg = fc.record({
			underlying: fc.constantFrom(...underlyings),
			segment: fc.constantFrom("OPT" as const, "FUT" as const),
			lots: fc.integer({ min: -3, max: 3 }).filter((n) => n !== 0),
		});
		await fc.assert(
			fc.asyncProperty(fc.array(leg, { minLength: 2, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), async (legs, fillPicks) => {
				const c = await createClient({
					positions: legs.map((l) => ({
						instrument: { segment: l.segment, underlying: l.underlying, lotSize: 75, freezeQty: 1800 },
						netQty: l.lots * 75,
						product: "NRML" as const,
					})),
				});
				await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
				const t = await trader(c.clientId);
				const { orders } = await accepted(await t.post("/api/square-offs/all", {}));
				const underlyingOf = new Map(legs.map((l, i) => [c.positionIds[i], l.underlying]));
				const filled = new Set<string>();
				const check = async () => {
					const sent = await atOms(c.clientId);
					for (const o of orders.filter((x) => x.side === "SELL" && sent.has(x.id))) {
						const u = underlyingOf.get(o.positionId ?? "");
						const shorts = orders.filter((x) => x.side === "BUY" && underlyingOf.get(x.positionId ?? "") === u);
						expect(shorts.every((s) => filled.has(s.id))).toBe(true);
					}
				};
				// Fill short legs one at a time, in a random order, checking after each.
				const shorts = orders.filter((o) => o.side === "BUY");
				for (const pick of fillPicks) {
					const open = shorts.filter((s) => !filled.has(s.id));
					const next = open[pick % Math.max(1, open.length)];
					if (!next) break;
					await eventually(async () => (await atOms(c.clientId)).has(next.id), "short leg at the OMS");
					await check();
					await fillAtOms(c.clientId, [next.id]);
					filled.add(next.id);
				}
				await check();
			}),
			{ numRuns: 8 },
		);
	});
});

describe("unhedging guard", () => {
	it("refuses to exit a long option while a short option of its underlying is open, unless allowUnhedged; nothing changes on a refusal", async () => {
		const c = await createClient({ positions: [option("NIFTY", 150), option("NIFTY", -150), option("BANKNIFTY", 75)] });
		const t = await trader(c.clientId);
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 409, "WOULD_UNHEDGE");
		expect(await t.orders()).toHaveLength(0);
		// Another underlying's long option has no short to hedge: it exits.
		await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[2] }));
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0], allowUnhedged: true }));
		expect(orders[0]).toMatchObject({ side: "SELL", quantity: 150 });
	});
});

describe("strict bodies", () => {
	it("refuses a field the route does not define with 400 UNKNOWN_FIELD naming it, on every trader and ops route, and changes nothing", async () => {
		const c = await createClient({ positions: [option("NIFTY", -150)] });
		const t = await trader(c.clientId);
		const typo = await t.post("/api/square-offs", { positionId: c.positionIds[0], qty: 1 });
		const problem = await expectProblem(typo, 400, "UNKNOWN_FIELD");
		expect(problem.detail).toContain("qty");
		await expectProblem(await t.post("/api/square-offs/all", { segmnt: "OPT" }), 400, "UNKNOWN_FIELD");
		await expectProblem(await t.post("/api/orders/cancel-all", { all: true }), 400, "UNKNOWN_FIELD");
		await expectProblem(await t.post("/api/orders/x/cancel", { force: true }), 400, "UNKNOWN_FIELD");
		await expectProblem(await t.post("/api/auth/logout", { everywhere: true }, null), 400, "UNKNOWN_FIELD");
		expect(await t.orders()).toHaveLength(0);
		expect((await t.positions())[0]?.pendingExitQty).toBe(0);
		const json = { "content-type": "application/json", origin: SITE };
		for (const [path, body] of [
			["/api/auth/login", { clientId: c.clientId, password: "x", remember: true }],
			["/api/auth/totp", { challengeId: "x", code: "123456", trust: true }],
		] as const) {
			await expectProblem(await call(path, { method: "POST", headers: json, body: JSON.stringify(body) }), 400, "UNKNOWN_FIELD");
		}
		const ops = await call("/ops/failover", {
			method: "POST",
			headers: opsHeaders,
			body: JSON.stringify({ active: false, reason: "x", force: 1 }),
		});
		await expectProblem(ops, 400, "UNKNOWN_FIELD");
		const clear = await call("/ops/failover", { method: "DELETE", headers: opsHeaders, body: JSON.stringify({ now: true }) });
		await expectProblem(clear, 400, "UNKNOWN_FIELD");
		// The refused ops calls changed nothing: failover is still on.
		expect(((await (await call("/api/status")).json()) as { mode: string }).mode).toBe("active");
	});

	it("reads a body not labelled JSON as JSON: an exit-all for one segment is never taken as an exit of everything", async () => {
		const c = await createClient({ positions: [option("NIFTY", -150), future("NIFTY", -75)] });
		const t = await trader(c.clientId);
		const post = (body: string, contentType: string | null) =>
			call("/api/square-offs/all", {
				method: "POST",
				headers: {
					cookie: t.cookie,
					origin: SITE,
					"idempotency-key": crypto.randomUUID(),
					...(contentType ? { "content-type": contentType } : {}),
				},
				body,
			});
		await expectProblem(await post(JSON.stringify({ segmnet: "OPT" }), "text/plain;charset=UTF-8"), 400, "UNKNOWN_FIELD");
		await expectProblem(await post("segment=OPT", "application/x-www-form-urlencoded"), 400, "MALFORMED_REQUEST");
		await expectProblem(await post(JSON.stringify({ segment: "CASH" }), "text/plain"), 400, "INVALID_BODY");
		expect(await t.orders()).toHaveLength(0);

		const { orders } = await accepted(await post(JSON.stringify({ segment: "OPT" }), null));
		expect(orders.map((o) => o.positionId)).toEqual([c.positionIds[0]]);
		expect((await t.positions()).find((p) => p.segment === "FUT")?.pendingExitQty).toBe(0);
	});
});

describe("expiry", () => {
	it("carries expiresAt to the OMS; an order not placed by then ends FAILED and is never placed after the OMS recovers", async () => {
		const c = await createClient({ positions: [option("NIFTY", -150), option("NIFTY", -75)] });
		const t = await trader(c.clientId);
		const placed = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		await eventually(async () => (await atOms(c.clientId)).has(placed.orders[0]!.id), "placed");
		const sent = (await omsStats(c.clientId)).orders[0];
		const ttl = Date.parse(String(sent?.expiresAt)) - Date.parse(placed.orders[0]!.createdAt);
		expect(ttl).toBe(10_000);

		await omsBehaviour(c.clientId, { failTimes: 1000 });
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[1] }));
		const id = orders[0]!.id;
		await eventually(async () => (await omsStats(c.clientId)).errors > 0, "the OMS refused a try");
		// Its expiry passes while the OMS is down.
		await runInDurableObject(env.ACCOUNTS.getByName(c.clientId), (_, state) =>
			state.storage.sql.exec("UPDATE orders SET expires_at = ? WHERE id = ?", new Date(Date.now() - 1000).toISOString(), id),
		);
		const failed = await eventually(async () => {
			const o = await t.order(id);
			return o.status === "FAILED" && o;
		}, "FAILED on expiry");
		expect(failed.reason).toContain("expired before it reached the exchange");
		await omsBehaviour(c.clientId, {});
		const errorsAtRecovery = (await omsStats(c.clientId)).errors;
		await new Promise((r) => setTimeout(r, 3000));
		const stats = await omsStats(c.clientId);
		expect(stats.orders.map((o) => o.orderId)).not.toContain(id);
		expect(stats.errors).toBe(errorsAtRecovery);
		expect((await t.positions()).find((p) => p.id === c.positionIds[1])?.pendingExitQty).toBe(0);
	});
});

/** A client with one long future, its own OMS behaviour, and an accepted exit of it all. */
async function exitFuture(behaviour: Record<string, unknown>) {
	const c = await createClient({ positions: [future("NIFTY", 75)] });
	await omsBehaviour(c.clientId, behaviour);
	const t = await trader(c.clientId);
	const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
	return { c, t, id: orders[0]!.id };
}

/** Waits until the order is SENT with its outcome unknown (the reason says it is being confirmed). */
const outcomeUnknown = (t: Trader, id: string) =>
	eventually(async () => {
		const o = await t.order(id);
		return o.status === "SENT" && o.reason?.includes("confirming") && o;
	}, "SENT, outcome unknown");

describe("outcome unknown", () => {
	it("a 504 from a gateway in front of the OMS is no definite answer: the exit stays counted (SENT, not FAILED), and the OMS's next answer confirms it once", async () => {
		// Every attempt reaches the OMS, which takes the order; the gateway answers 504 each time.
		const { c, t, id } = await exitFuture({ gatewayTimeoutTimes: 1000, silent: true });
		const unknown = await outcomeUnknown(t, id);
		expect(unknown.reason).toContain("confirming with the exchange");
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 422, "NOTHING_TO_EXIT");
		// The gateway recovers: the next retry hears that the OMS already has it.
		await omsBehaviour(c.clientId, { silent: true });
		await eventually(async () => {
			const o = await t.order(id);
			return o.status === "SENT" && o.reason === undefined;
		}, "confirmed SENT");
		const stats = await omsStats(c.clientId);
		expect(stats.orders.map((o) => o.orderId)).toEqual([id]);
	});

	it("an exit the OMS took whose answer was lost, then 503s and silence: stays counted (SENT), a second exit is refused, ops alerted once, and the OMS's word settles it", async () => {
		const { c, t, id } = await exitFuture({ loseAnswerTimes: 1, silent: true });
		await eventually(async () => (await omsStats(c.clientId)).hung === 1, "answer lost");
		// From now on the OMS answers 503 to every try and cannot be asked either.
		await omsBehaviour(c.clientId, { failTimes: 1000, lookupsFail: true, silent: true });
		const unknown = await outcomeUnknown(t, id);
		expect(unknown.reason).toContain("confirming with the exchange");
		await expectProblem(await t.post("/api/square-offs", { positionId: c.positionIds[0] }), 422, "NOTHING_TO_EXIT");
		expect((await t.positions())[0]?.pendingExitQty).toBe(75);
		// Past its expiry and its dead letter, it is still not FAILED: the OMS may hold it. Ops hear of it once.
		const alerts = await eventually(
			async () => {
				const a = (await alertsFor(c.clientId)).filter((x) => x.event === "order.outcome_unknown");
				return a.length > 0 && a;
			},
			"outcome-unknown alert",
			30_000,
		);
		expect(alerts).toHaveLength(1);
		expect((await t.order(id)).status).toBe("SENT");
		// The OMS answers again: it holds the order, open. Adopted; the OMS holds one exit of 75.
		await omsBehaviour(c.clientId, { silent: true });
		const open = await eventually(
			async () => {
				const o = await t.order(id);
				return o.status === "OPEN" && o;
			},
			"OPEN from the OMS's word",
			30_000,
		);
		expect(open.reason).toBeUndefined();
		const stats = await omsStats(c.clientId);
		expect(stats.orders.reduce((n, o) => n + Number(o.quantity), 0)).toBe(75);
		expect((await alertsFor(c.clientId)).filter((x) => x.event === "order.outcome_unknown")).toHaveLength(1);
	});

	it("an attempt that hung before the OMS took it, then 503s: after expiry the OMS says it never had it, and the order ends FAILED", async () => {
		const { c, t, id } = await exitFuture({ hangTimes: 1, failTimes: 1000 });
		const failed = await statusIs(t, id, "FAILED", 40_000);
		expect(failed.reason).toContain("never had it");
		expect(await atOms(c.clientId)).not.toContain(id);
		expect((await t.positions())[0]?.pendingExitQty).toBe(0);
		// Ops hear of it once, as of any exit that failed.
		const alerts = await eventually(async () => {
			const a = (await alertsFor(c.clientId)).filter((x) => x.event === "order.failed");
			return a.length > 0 && a;
		}, "order.failed alert");
		expect(alerts).toHaveLength(1);
		expect(alerts[0]!.text).toContain(id);
	}, 60_000);

	it("an exit the trader cancels while its placement is being retried is never placed afterwards, and ends CANCELLED once the OMS says it never had it", async () => {
		// Every attempt gets 503 until the cancel is in.
		const { c, t, id } = await exitFuture({ failTimes: 1000, silent: true });
		await eventually(async () => (await omsStats(c.clientId)).errors > 0, "a first attempt refused");
		expect((await t.post(`/api/orders/${id}/cancel`)).status).toBe(202);
		// The OMS answers normally again: a retry of the placement would now go through.
		await omsBehaviour(c.clientId, { silent: true });
		const cancelled = await statusIs(t, id, "CANCELLED", 40_000);
		expect(cancelled.reason).toContain("cancelled before it reached the exchange");
		expect(await atOms(c.clientId)).not.toContain(id);
	}, 60_000);

	it("an exit of unknown outcome the trader cancels is never placed afterwards, and ends CANCELLED once the OMS says it never had it", async () => {
		// The first attempt hangs before the OMS takes it (unknown outcome); the retries get 503 until the cancel is in.
		const { c, t, id } = await exitFuture({ hangTimes: 1, failTimes: 1000, silent: true });
		await outcomeUnknown(t, id);
		expect((await t.post(`/api/orders/${id}/cancel`)).status).toBe(202);
		// The OMS answers normally again: a retry of the placement would now go through.
		await omsBehaviour(c.clientId, { silent: true });
		const cancelled = await statusIs(t, id, "CANCELLED", 40_000);
		expect(cancelled.reason).toContain("cancelled before it reached the exchange");
		expect(await atOms(c.clientId)).not.toContain(id);
		expect((await alertsFor(c.clientId)).filter((x) => x.event === "order.failed")).toHaveLength(0);
	}, 60_000);
});

describe("the relay's attempt count", () => {
	it("a dead-lettered order's reason counts the relay's attempts, not the dead-letter queue's", async () => {
		const c = await createClient({ positions: [future("NIFTY", 75)] });
		await omsBehaviour(c.clientId, { mode: "error" });
		const t = await trader(c.clientId);
		const { orders } = await accepted(await t.post("/api/square-offs", { positionId: c.positionIds[0] }));
		const failed = await eventually(async () => {
			const o = await t.order(orders[0]!.id);
			return o.status === "FAILED" && o;
		}, "FAILED");
		const attempts = Number(/after (\d+) attempt/.exec(failed.reason ?? "")?.[1]);
		expect(attempts).toBeGreaterThan(1);
		expect(attempts).toBe((await omsStats(c.clientId)).requests);
	});
});
