// Fault suite: 1,000 accepted orders while the OMS fails 30% of calls and hangs on some (the
// relay times out), the orders queue redelivers, the consumer throws in the middle of a batch,
// and Postgres is unreachable for a while. Every accepted order ends final, the OMS holds each
// order once, and no position is ever exited beyond its open quantity.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { itemAt } from "../scripts/fixtures.ts";
import { auditEntry } from "../src/observability/audit";
import { openDb, schema } from "../src/db/client";
import type { Order, OrderMessage, RecordMessage } from "../src/contract";
import { createClient, type TestClient } from "./fixtures";
import { setFailover } from "./helpers";
import { deliver, eventually, omsBehaviour, omsEvent, omsStats, type Trader, trader } from "./trading-helpers";

const CLIENTS = 40;
const OPEN_QTY = 25; // per client: 40 x 25 = 1,000 orders of one share
const ATTEMPTS = OPEN_QTY + 3; // more exits than there is to exit: the surplus must be refused
const FINAL = ["COMPLETE", "REJECTED", "CANCELLED", "FAILED"];

/** Postgres as the Worker would see it during an outage: the relay in front of it refuses connections. */
const postgresDown = (): Env => ({ ...env, NEON_WS_PROXY: "127.0.0.1:1/v2" });

async function pool<T>(items: T[], limit: number, f: (item: T) => Promise<void>) {
	// One iterator shared by the workers: each takes the next item as it frees up.
	const queue = items.values();
	await Promise.all(
		Array.from({ length: limit }, async () => {
			for (const item of queue) await f(item);
		}),
	);
}

const placeMessage = (clientId: string, o: Order): OrderMessage => ({
	kind: "place",
	acceptedAt: o.createdAt,
	order: {
		orderId: o.id,
		clientId,
		exchange: o.exchange,
		symbol: o.symbol,
		side: o.side,
		quantity: o.quantity,
		orderType: o.orderType,
		product: o.product,
		expiresAt: new Date(Date.parse(o.createdAt) + 60_000).toISOString(),
	},
});

/** Runs the Worker's real queue handler on a batch; returns the explicit acks and whether it threw. */
describe("1,000 orders under faults", () => {
	let clients: TestClient[] = [];
	let traders: Trader[] = [];

	beforeAll(async () => {
		await setFailover(true, "fault suite");
		clients = [];
		await pool(Array.from({ length: CLIENTS }), 8, async () => {
			clients.push(await createClient({ positions: [{ instrument: { segment: "EQ" }, netQty: OPEN_QTY }] }));
		});
		traders = await Promise.all(clients.map((c) => trader(c.clientId)));
		for (const c of clients) await omsBehaviour(c.clientId, { failRate: 0.3, hangRate: 0.01, ackDelayMs: 5, fillDelayMs: 5 });
		// The first use loads positions from Postgres; from here on the order path must not need it.
		await Promise.all(traders.map((t) => t.positions()));
	}, 120_000);

	it("every accepted order ends final, the OMS holds each once, no position exits beyond its open quantity", async () => {
		// 1. The surge: every client asks for more one-share exits than it holds, all at once.
		const requests = traders.flatMap((t, i) => {
			const positionId = itemAt(itemAt(clients, i, "client").positionIds, 0, "position");
			return Array.from({ length: ATTEMPTS }, () => ({ t, positionId }));
		});
		const statuses: Record<number, number> = {};
		const refusals = new Set<string>();
		await pool(requests, 50, async ({ t, positionId }) => {
			const res = await t.post("/api/square-offs", { positionId, quantity: 1 });
			statuses[res.status] = (statuses[res.status] ?? 0) + 1;
			if (res.status !== 202) refusals.add(((await res.json()) as { code: string }).code);
		});
		expect(statuses[202]).toBe(CLIENTS * OPEN_QTY);
		expect(statuses[422]).toBe(CLIENTS * (ATTEMPTS - OPEN_QTY));
		expect([...refusals].every((code) => ["QTY_EXCEEDS_POSITION", "NOTHING_TO_EXIT"].includes(code))).toBe(true);

		const accepted = new Map<string, Order[]>();
		for (const t of traders) accepted.set(t.clientId, await t.orders());
		expect([...accepted.values()].reduce((n, os) => n + os.length, 0)).toBe(1000);

		// 2. The queue redelivers: a fifth of the orders a second time on the real queue, while the first copies are in flight.
		const copies = [...accepted].flatMap(([clientId, os]) => os.slice(0, 5).map((o) => placeMessage(clientId, o)));
		for (let i = 0; i < copies.length; i += 100) await env.ORDERS.sendBatch(copies.slice(i, i + 100).map((body) => ({ body })));

		// 3. The consumer throws mid-batch (a message it cannot read sits between good ones), and
		// Postgres is unreachable for that delivery: the good copies still reach the OMS or are
		// retried; none is placed twice. The relay path needs no Postgres.
		const firstClient = itemAt(clients, 0, "client").clientId;
		const good = (accepted.get(firstClient) ?? []).slice(0, 10).map((o) => placeMessage(firstClient, o));
		const poisoned = [...good.slice(0, 5), { kind: "place", order: null } as unknown as OrderMessage, ...good.slice(5)];
		const crash = await deliver("orders", poisoned, postgresDown());
		expect(crash.threw).toBe(true);
		const unreadable = crash.result.explicitAcks.length + crash.result.retryMessages.length;
		expect(unreadable).toBeLessThan(poisoned.length); // the throw left messages neither acked nor retried: the runtime redelivers them
		const again = await deliver("orders", good, postgresDown());
		expect(again.threw).toBe(false);
		expect(again.result.explicitAcks.length + again.result.retryMessages.length).toBe(good.length);

		// 4. Postgres unreachable for the records consumer: the whole batch is retried, nothing is
		// lost; when it is back, the same records land once.
		const entries = clients.slice(0, 5).map((c) => auditEntry("squareoff.accepted", "system", c.clientId, { fault: "postgres down" }));
		const records: RecordMessage[] = entries.map((entry) => ({ kind: "audit", entry }));
		const down = await deliver("records", records, postgresDown());
		expect(down.threw).toBe(false);
		expect(down.result.explicitAcks).toEqual([]);
		expect(down.result.retryBatch.retry).toBe(true);
		const auditRows = async () => {
			const { db, close } = openDb(env);
			try {
				const ids = entries.map((e) => e.id);
				return (await db.select({ id: schema.auditLog.id }).from(schema.auditLog).where(inArray(schema.auditLog.id, ids))).length;
			} finally {
				await close();
			}
		};
		expect(await auditRows()).toBe(0);
		for (const attempt of [1, 2]) {
			const up = await deliver("records", records, env); // the redelivery after Postgres returned, twice
			expect(up.result.retryBatch.retry, `attempt ${attempt}`).toBe(false);
		}
		expect(await auditRows()).toBe(entries.length);

		// 5. Every accepted order reaches a final state (FAILED counts: the dead-letter path ends it).
		// The OMS simulator reports nothing back in tests: its fills are posted here, signed, as the OMS would.
		const finalOrders = new Map<string, Order[]>();
		const filled = new Set<string>();
		await eventually(
			async () => {
				await pool(traders, 8, async (t) => {
					if (finalOrders.has(t.clientId)) return;
					for (const o of (await omsStats(t.clientId)).orders) {
						if (filled.has(o.orderId)) continue;
						const res = await omsEvent({ orderId: o.orderId, clientId: t.clientId, type: "FILL", fillQty: 1, fillPrice: "100.00" });
						if (res.ok) filled.add(o.orderId);
					}
					const os = await t.orders();
					if (os.every((o) => FINAL.includes(o.status))) finalOrders.set(t.clientId, os);
				});
				return finalOrders.size === CLIENTS;
			},
			`every accepted order final (${CLIENTS - finalOrders.size} clients still waiting)`,
			90_000,
		);

		let failed = 0;
		let duplicateSubmissions = 0;
		for (const c of clients) {
			const os = finalOrders.get(c.clientId) ?? [];
			const ids = new Set((accepted.get(c.clientId) ?? []).map((o) => o.id));
			expect(os.length, c.clientId).toBe(OPEN_QTY);
			expect(os.every((o) => ids.has(o.id))).toBe(true);
			// The OMS holds each order at most once, and exactly the ones that were not given up on.
			const stats = await omsStats(c.clientId);
			const atOms = new Set(stats.orders.map((o) => o.orderId));
			expect(atOms.size).toBe(stats.orders.length);
			expect(stats.distinctOrders).toBe(os.filter((o) => o.status === "COMPLETE").length);
			for (const o of os) expect(atOms.has(o.id), `${o.id} ${o.status}`).toBe(o.status === "COMPLETE");
			duplicateSubmissions += stats.duplicates;
			failed += os.filter((o) => o.status === "FAILED").length;

			// Never beyond the open quantity: fills add up to what the position lost, and it never crossed zero.
			const snapshot = await runInDurableObject(env.ACCOUNTS.getByName(c.clientId), (_, state) => ({
				net: state.storage.sql.exec<{ net_qty: number }>("SELECT net_qty FROM positions").one().net_qty,
				filled: state.storage.sql.exec<{ f: number }>("SELECT COALESCE(SUM(filled_qty), 0) AS f FROM orders").one().f,
			}));
			expect(snapshot.net).toBeGreaterThanOrEqual(0);
			expect(snapshot.net + snapshot.filled).toBe(OPEN_QTY);
		}
		console.log(JSON.stringify({ event: "faults.summary", accepted: 1000, failed, duplicateSubmissionsAnswered409: duplicateSubmissions }));
	}, 150_000);
});
