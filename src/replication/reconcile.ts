// Reconciliation after failback: the backup's orders and fills against the exchange's (or the
// OMS's) trade records. Pure, so the Workers tests and the Node script (scripts/reconcile.ts)
// run the same code. Imports nothing from the project: Node loads it as is.
import { z } from "zod";

/** One line of the trades file (JSON lines). */
export const ExchangeTrade = z.object({
	orderId: z.string().min(1),
	symbol: z.string().min(1),
	side: z.enum(["BUY", "SELL"]),
	quantity: z.number().int().positive(),
	price: z
		.union([z.number(), z.string()])
		.transform(String)
		.pipe(z.string().regex(/^\d+(\.\d{1,2})?$/, "price must have at most 2 decimals")),
	tradeId: z.string().min(1),
	ts: z.string().min(1),
});
export type ExchangeTrade = z.infer<typeof ExchangeTrade>;

/** A backup order as Postgres holds it (BACKUP_ORDERS_SQL). */
export interface BackupOrder {
	orderId: string;
	symbol: string;
	side: string;
	filledQty: number;
	avgFillPrice: string | null;
}

export type MismatchKind = "missing-at-exchange" | "missing-in-backup" | "qty-differs" | "price-differs" | "instrument-differs";

export interface Mismatch {
	kind: MismatchKind;
	orderId: string;
	detail: string;
}

/** The backup's own orders created since $1 (timestamptz). */
export const BACKUP_ORDERS_SQL = `SELECT id AS "orderId", symbol, side, filled_qty AS "filledQty", avg_fill_price::text AS "avgFillPrice"
FROM orders WHERE origin = 'backup' AND created_at >= $1 ORDER BY created_at, id`;

export function parseTrades(text: string): { trades: ExchangeTrade[]; errors: string[] } {
	const trades: ExchangeTrade[] = [];
	const errors: string[] = [];
	text.split("\n").forEach((line, i) => {
		if (!line.trim()) return;
		let json: unknown;
		try {
			json = JSON.parse(line);
		} catch {
			errors.push(`line ${i + 1}: not JSON`);
			return;
		}
		const parsed = ExchangeTrade.safeParse(json);
		if (parsed.success) trades.push(parsed.data);
		else errors.push(`line ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
	});
	return { trades, errors };
}

const paise = (price: string) => {
	const [whole = "", frac = ""] = price.split(".");
	return BigInt(whole) * 100n + BigInt(frac.padEnd(2, "0").slice(0, 2));
};
const rupees = (p: bigint) => `${p / 100n}.${String(p % 100n).padStart(2, "0")}`;

interface Executed {
	symbol: string;
	side: string;
	qty: number;
	/** Sum of quantity x price, in paise. */
	value: bigint;
}

/**
 * Every difference between the two sides. A repeated tradeId counts once; an average price is
 * accepted when it is the exact one rounded to the paisa (within half a paisa either way).
 */
export function reconcile(backup: BackupOrder[], trades: ExchangeTrade[]): Mismatch[] {
	const executed = new Map<string, Executed>();
	const seenTrades = new Set<string>();
	for (const t of trades) {
		if (seenTrades.has(t.tradeId)) continue;
		seenTrades.add(t.tradeId);
		const e = executed.get(t.orderId) ?? { symbol: t.symbol, side: t.side, qty: 0, value: 0n };
		e.qty += t.quantity;
		e.value += BigInt(t.quantity) * paise(t.price);
		executed.set(t.orderId, e);
	}

	const out: Mismatch[] = [];
	const known = new Set<string>();
	for (const o of backup) {
		known.add(o.orderId);
		const e = executed.get(o.orderId);
		if (!e) {
			if (o.filledQty > 0)
				out.push({ kind: "missing-at-exchange", orderId: o.orderId, detail: `backup filled ${o.filledQty}, exchange has no trade` });
			continue;
		}
		if (e.symbol !== o.symbol || e.side !== o.side) {
			out.push({ kind: "instrument-differs", orderId: o.orderId, detail: `backup ${o.side} ${o.symbol}, exchange ${e.side} ${e.symbol}` });
		}
		if (e.qty !== o.filledQty) {
			out.push({ kind: "qty-differs", orderId: o.orderId, detail: `backup filled ${o.filledQty}, exchange traded ${e.qty}` });
			continue;
		}
		const exact = `average ${rupees(e.value / BigInt(e.qty))} over ${e.qty}`;
		if (o.avgFillPrice === null) {
			out.push({ kind: "price-differs", orderId: o.orderId, detail: `backup has no average price, exchange ${exact}` });
			continue;
		}
		const diff = paise(o.avgFillPrice) * BigInt(e.qty) - e.value;
		if (2n * (diff < 0n ? -diff : diff) > BigInt(e.qty)) {
			out.push({ kind: "price-differs", orderId: o.orderId, detail: `backup average ${o.avgFillPrice}, exchange ${exact}` });
		}
	}
	for (const [orderId, e] of executed) {
		if (!known.has(orderId))
			out.push({ kind: "missing-in-backup", orderId, detail: `exchange traded ${e.side} ${e.qty} ${e.symbol}, backup has no such order` });
	}
	return out;
}
