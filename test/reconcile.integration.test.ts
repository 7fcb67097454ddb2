import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeRecords } from "../queues/records";
import { openDb } from "../src/db/client";
import { BACKUP_ORDERS_SQL, type BackupOrder, type ExchangeTrade, parseTrades, reconcile } from "../src/replication/reconcile";
import type { OrderRecord } from "../src/contract";
import { uid } from "./fixtures";

function filled(id: string, side: OrderRecord["side"], symbol: string, filledQty: number, avgFillPrice?: string): OrderRecord {
	const now = new Date().toISOString();
	return {
		id,
		clientId: "CRECON",
		version: 2,
		squareOffId: "S1",
		positionId: null,
		exchange: "NSE",
		symbol,
		side,
		quantity: 10,
		filledQty,
		avgFillPrice,
		orderType: "MARKET",
		product: "MIS",
		status: filledQty > 0 ? "COMPLETE" : "REJECTED",
		createdAt: now,
		updatedAt: now,
	};
}

const trade = (orderId: string, quantity: number, price: string, tradeId = uid("TR"), side: "BUY" | "SELL" = "SELL", symbol = "RELIANCE") =>
	JSON.stringify({ orderId, symbol, side, quantity, price, tradeId, ts: new Date().toISOString() });

async function backupOrdersSince(since: string): Promise<BackupOrder[]> {
	const { pool, close } = openDb(env);
	try {
		return (await pool.query<BackupOrder>(BACKUP_ORDERS_SQL, [since])).rows;
	} finally {
		await close();
	}
}

describe("reconciliation of backup orders against exchange trades", () => {
	it("finds each seeded mismatch and nothing else, reading the backup's orders from Postgres", async () => {
		const since = new Date(Date.now() - 1000).toISOString();
		const [ok, lost, short, pricey, rejected, flipped, unknown] = [uid("O"), uid("O"), uid("O"), uid("O"), uid("O"), uid("O"), uid("O")];
		await writeRecords(
			env,
			[
				filled(ok, "SELL", "RELIANCE", 10, "101.00"),
				filled(lost, "SELL", "RELIANCE", 10, "200.00"),
				filled(short, "SELL", "RELIANCE", 5, "50.00"),
				filled(pricey, "SELL", "RELIANCE", 3, "10.00"),
				filled(rejected, "SELL", "RELIANCE", 0),
				filled(flipped, "SELL", "RELIANCE", 2, "10.00"),
			].map((order) => ({ kind: "order" as const, order, event: {} })),
		);
		const dupTrade = uid("TR");
		const file = [
			// 4 @ 100.50 + 6 @ 101.33 = 100.998 on average: the backup's 101.00 is that, rounded.
			trade(ok, 4, "100.50", dupTrade),
			trade(ok, 4, "100.50", dupTrade),
			trade(ok, 6, "101.33"),
			trade(short, 4, "50.00"),
			trade(pricey, 3, "10.05"),
			trade(flipped, 2, "10.00", uid("TR"), "BUY"),
			trade(unknown, 7, "99.00"),
			"",
		].join("\n");
		const { trades, errors } = parseTrades(file);
		expect(errors).toEqual([]);

		const mine = new Set([ok, lost, short, pricey, rejected, flipped]);
		const backup = (await backupOrdersSince(since)).filter((o) => mine.has(o.orderId));
		expect(backup).toHaveLength(6);
		const found = reconcile(backup, trades).map((m) => `${m.kind} ${m.orderId}`);
		expect(found.sort()).toEqual(
			[
				`missing-at-exchange ${lost}`,
				`qty-differs ${short}`,
				`price-differs ${pricey}`,
				`instrument-differs ${flipped}`,
				`missing-in-backup ${unknown}`,
			].sort(),
		);
	});

	it("accepts an average price within half a paisa of the exact one and flags one a paisa off", () => {
		const trades: ExchangeTrade[] = [
			{ orderId: "A", symbol: "X", side: "SELL", quantity: 3, price: "10.00", tradeId: "t1", ts: "2026-11-27T09:20:00Z" },
			{ orderId: "A", symbol: "X", side: "SELL", quantity: 3, price: "10.01", tradeId: "t2", ts: "2026-11-27T09:20:01Z" },
		];
		const order = (avgFillPrice: string): BackupOrder => ({ orderId: "A", symbol: "X", side: "SELL", filledQty: 6, avgFillPrice });
		// Exact average 10.005: both neighbours are a correct rounding; 10.02 is not.
		expect(reconcile([order("10.00")], trades)).toEqual([]);
		expect(reconcile([order("10.01")], trades)).toEqual([]);
		expect(reconcile([order("10.02")], trades).map((m) => m.kind)).toEqual(["price-differs"]);
	});

	it("reports every bad line of a trades file by number", () => {
		const { trades, errors } = parseTrades(
			[trade("A", 1, "1.00"), "{not json", JSON.stringify({ orderId: "B", quantity: -1 }), trade("C", 1, "1.005")].join("\n"),
		);
		expect(trades).toHaveLength(1);
		expect(errors.map((e) => e.split(":")[0])).toEqual(["line 2", "line 3", "line 4"]);
	});
});
