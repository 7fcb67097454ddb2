// What an exit turns into, computed for the confirmation the same way the exchange rules
// demand (shared spec domain.md): opposite side, slices of at most the freeze quantity in
// whole lots, shorts before longs.
import type { Position, Side } from "../../src/types";

export interface PlannedOrder {
	positionId: string;
	symbol: string;
	exchange: string;
	side: Side;
	quantity: number;
}

/** What can still be exited: the open quantity minus what pending exits already cover. */
export const openQty = (p: Position) => Math.max(0, Math.abs(p.netQty) - p.pendingExitQty);

export const exitSide = (p: Position): Side => (p.netQty > 0 ? "SELL" : "BUY");

/** The largest single order: the freeze quantity rounded down to whole lots (no limit when none). */
export function maxSlice(p: Position): number {
	if (!p.freezeQty) return Number.POSITIVE_INFINITY;
	return Math.max(p.lotSize, Math.floor(p.freezeQty / p.lotSize) * p.lotSize);
}

export function slices(p: Position, quantity: number): PlannedOrder[] {
	const out: PlannedOrder[] = [];
	const cap = maxSlice(p);
	for (let left = quantity; left > 0; ) {
		const q = Math.min(left, cap);
		out.push({ positionId: p.id, symbol: p.symbol, exchange: p.exchange, side: exitSide(p), quantity: q });
		left -= q;
	}
	return out;
}

export function exitAllPlan(positions: Position[]): PlannedOrder[] {
	const open = positions.filter((p) => openQty(p) > 0);
	const shorts = open.filter((p) => p.netQty < 0);
	const longs = open.filter((p) => p.netQty > 0);
	return [...shorts, ...longs].flatMap((p) => slices(p, openQty(p)));
}

export function pnl(p: Position): number | null {
	if (p.ltp === undefined || p.ltp === null) return null;
	return (Number(p.ltp) - Number(p.avgPrice)) * p.netQty;
}
