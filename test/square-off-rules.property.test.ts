// Properties of the square-off rules: the pure functions of src/trading/rules.ts over random
// inputs, and a model-based run against the real Account Durable Object where random square-offs,
// exit-alls, OMS fills / cancels / rejects and trader cancels interleave (the relay and the OMS
// simulator run too): after every step no position is exited beyond its open quantity.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { REFUSAL_STATUS } from "../src/http/problem";
import { checkExit, type ExitLimits, slice, sliceSize } from "../src/trading/rules";
import { createClient } from "./fixtures";
import { setFailover } from "./helpers";
import { eventually, omsBehaviour, omsEvent, omsStats, trader } from "./trading-helpers";

const lotAndFreeze = fc
	.record({
		lotSize: fc.integer({ min: 1, max: 1000 }),
		freezeLots: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
		slack: fc.nat(999),
	})
	// A freeze quantity anywhere, not only on a lot boundary: slices still have to be whole lots.
	.map(({ lotSize, freezeLots, slack }) => ({ lotSize, freezeQty: freezeLots === null ? null : freezeLots * lotSize + (slack % lotSize) }));

describe("slice", () => {
	it("sums to the request, in whole lots, each at most the freeze quantity, all but the last full", () => {
		fc.assert(
			fc.property(lotAndFreeze, fc.integer({ min: 1, max: 2000 }), ({ lotSize, freezeQty }, lots) => {
				const quantity = lots * lotSize;
				const slices = slice(quantity, lotSize, freezeQty);
				const size = sliceSize(lotSize, freezeQty);
				expect(slices.reduce((a, b) => a + b, 0)).toBe(quantity);
				for (const s of slices) {
					expect(s % lotSize).toBe(0);
					expect(s).toBeGreaterThan(0);
					if (freezeQty !== null) expect(s).toBeLessThanOrEqual(Math.max(lotSize, freezeQty));
				}
				for (const s of slices.slice(0, -1)) expect(s).toBe(size);
				if (freezeQty === null) expect(slices).toEqual([quantity]);
			}),
			{ numRuns: 1000 },
		);
	});
});

describe("checkExit", () => {
	const limits = (lotSize: number): ExitLimits => ({ segment: "FUT", lotSize, tickPaise: 5, bandLowPaise: 100, bandHighPaise: 100_000 });

	it("never allows more than is available, and only whole lots", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 1, max: 500 }),
				fc.nat(100_000),
				fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
				(lotSize, available, quantity) => {
					const r = checkExit(limits(lotSize), available, { quantity, orderType: "MARKET" });
					if (r.ok) {
						expect(r.quantity).toBeLessThanOrEqual(available);
						expect(r.quantity).toBeGreaterThan(0);
						expect(r.quantity % lotSize).toBe(0);
					} else {
						const q = quantity ?? available;
						expect(q === 0 || q > available || q % lotSize !== 0).toBe(true);
						expect(REFUSAL_STATUS[r.refusal.code]).toBe(422);
					}
				},
			),
			{ numRuns: 2000 },
		);
	});
});

type Step =
	| { kind: "exit"; position: number; lots: number | null }
	| { kind: "exitAll" }
	| { kind: "fill"; order: number; part: number }
	| { kind: "omsCancelled" | "omsRejected" | "cancel"; order: number }
	| { kind: "cancelAll" };

const step: fc.Arbitrary<Step> = fc.oneof(
	{
		weight: 4,
		arbitrary: fc.record({
			kind: fc.constant("exit" as const),
			position: fc.nat(1),
			lots: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
		}),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: "exitAll" as const }) },
	{
		weight: 4,
		arbitrary: fc.record({ kind: fc.constant("fill" as const), order: fc.nat(50), part: fc.double({ min: 0.01, max: 1.5, noNaN: true }) }),
	},
	{
		weight: 1,
		arbitrary: fc.record({ kind: fc.constantFrom("omsCancelled" as const, "omsRejected" as const, "cancel" as const), order: fc.nat(50) }),
	},
	{ weight: 1, arbitrary: fc.constant({ kind: "cancelAll" as const }) },
);

interface Snapshot {
	positions: { id: string; net_qty: number }[];
	orders: { id: string; position_id: string; quantity: number; filled_qty: number; status: string }[];
}

describe("square-offs under random interleavings (real Account)", () => {
	beforeAll(() => setFailover(true, "rules property"));

	it("never exits a position beyond its open quantity", async () => {
		const LOT = 75;
		const opening = [30 * LOT, -36 * LOT]; // a long and a short, both above the freeze quantity
		await fc.assert(
			fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 10 }), async (steps) => {
				const c = await createClient({
					positions: opening.map((netQty) => ({ instrument: { segment: "FUT" as const, lotSize: LOT, freezeQty: 1800 }, netQty })),
				});
				// The OMS simulator takes the orders but never fills them: fills come from the steps.
				await omsBehaviour(c.clientId, { holdFills: true, ackDelayMs: 0 });
				const t = await trader(c.clientId);
				await t.positions(); // the Account's first load from Postgres
				const account = env.ACCOUNTS.getByName(c.clientId);
				// One synchronous read inside the object: positions and orders as of the same instant.
				const snapshot = () =>
					runInDurableObject(
						account,
						(_, state): Snapshot => ({
							positions: state.storage.sql.exec<Snapshot["positions"][number]>("SELECT id, net_qty FROM positions").toArray(),
							orders: state.storage.sql
								.exec<Snapshot["orders"][number]>("SELECT id, position_id, quantity, filled_qty, status FROM orders")
								.toArray(),
						}),
					);
				const check = (s: Snapshot) => {
					c.positionIds.forEach((id, i) => {
						const start = itemAt(opening, i, "opening quantity");
						const open = Math.abs(start);
						const mine = s.orders.filter((o) => o.position_id === id);
						const filled = mine.reduce((n, o) => n + o.filled_qty, 0);
						const pending = mine
							.filter((o) => ["PENDING", "SENT", "OPEN"].includes(o.status))
							.reduce((n, o) => n + o.quantity - o.filled_qty, 0);
						const net = s.positions.find((p) => p.id === id)?.net_qty ?? 0;
						expect(filled + pending, `${id}: filled ${filled} + pending ${pending} > open ${open}`).toBeLessThanOrEqual(open);
						expect(Math.abs(net), `${id} net`).toBe(open - filled);
						expect(Math.sign(net) === Math.sign(start) || net === 0, `${id} crossed zero`).toBe(true);
						for (const o of mine) expect(o.filled_qty).toBeLessThanOrEqual(o.quantity);
					});
				};

				const closedAtOms = new Set<string>();
				for (const st of steps) {
					const before = await snapshot();
					// The OMS only reports on orders it holds: events pick among those; trader cancels among all.
					const atOms = new Set((await omsStats(c.clientId)).orders.map((o) => o.orderId));
					const held = before.orders.filter((o) => atOms.has(o.id));
					const pickHeld = (n: number) => held[n % Math.max(1, held.length)];
					const pick = (n: number) => before.orders[n % Math.max(1, before.orders.length)];
					switch (st.kind) {
						case "exit": {
							const res = await t.post("/api/square-offs", {
								positionId: c.positionIds[st.position],
								...(st.lots ? { quantity: st.lots * LOT } : {}),
							});
							expect([202, 422]).toContain(res.status);
							break;
						}
						case "exitAll":
							expect([202, 422]).toContain((await t.post("/api/square-offs/all", {})).status);
							break;
						case "fill": {
							// An exchange never fills an order after confirming it cancelled or rejected.
							const o = pickHeld(st.order);
							if (o && closedAtOms.has(o.id)) break;
							if (o) {
								const fillQty = Math.max(1, Math.round((o.quantity - o.filled_qty) * st.part));
								expect(
									(await omsEvent({ orderId: o.id, clientId: c.clientId, type: "FILL", fillQty, fillPrice: "100.00" })).status,
								).toBeLessThan(300);
							}
							break;
						}
						case "omsCancelled":
						case "omsRejected": {
							const o = pickHeld(st.order);
							const type = st.kind === "omsCancelled" ? "CANCELLED" : "REJECT";
							if (o) expect((await omsEvent({ orderId: o.id, clientId: c.clientId, type })).status).toBeLessThan(300);
							if (o) closedAtOms.add(o.id);
							break;
						}
						case "cancel": {
							const o = pick(st.order);
							if (o) expect([202, 409]).toContain((await t.post(`/api/orders/${o.id}/cancel`)).status);
							break;
						}
						case "cancelAll":
							expect((await t.post("/api/orders/cancel-all")).status).toBe(202);
							break;
					}
					check(await snapshot());
				}
				// pendingExitQty as the API reports it agrees with the orders (compared when no event landed in between).
				await eventually(async () => {
					const s1 = await snapshot();
					const positions = await t.positions();
					if (JSON.stringify(await snapshot()) !== JSON.stringify(s1)) return false;
					for (const p of positions) {
						const pending = s1.orders
							.filter((o) => o.position_id === p.id && ["PENDING", "SENT", "OPEN"].includes(o.status))
							.reduce((n, o) => n + o.quantity - o.filled_qty, 0);
						expect(p.pendingExitQty, p.id).toBe(pending);
					}
					return true;
				}, "a quiet moment to compare pendingExitQty");
			}),
			{ numRuns: 20 },
		);
	}, 180_000);
});
