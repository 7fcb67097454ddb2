// What an exit turns into, for the confirmation: computed with the same rules the Account
// applies (src/trading/rules.ts), so the trader sees exactly the orders that will be placed.
import { exitAllOrder, exitSide, slice } from "../../src/trading/rules";
import type { Position, Side } from "../../src/contract";

export interface PlannedOrder {
	positionId: string;
	symbol: string;
	exchange: string;
	side: Side;
	quantity: number;
}

/** What can still be exited: the open quantity minus what pending exits already cover. */
export const openQty = (p: Position) => Math.max(0, Math.abs(p.netQty) - p.pendingExitQty);

export function slices(p: Position, quantity: number): PlannedOrder[] {
	return slice(quantity, p.lotSize, p.freezeQty).map((q) => ({
		positionId: p.id,
		symbol: p.symbol,
		exchange: p.exchange,
		side: exitSide(p.netQty),
		quantity: q,
	}));
}

export function exitAllPlan(positions: Position[]): PlannedOrder[] {
	return exitAllOrder(positions.filter((p) => openQty(p) > 0)).flatMap((p) => slices(p, openQty(p)));
}

export function pnl(p: Position): number | null {
	if (p.ltp === undefined || p.ltp === null) return null;
	return (Number(p.ltp) - Number(p.avgPrice)) * p.netQty;
}
