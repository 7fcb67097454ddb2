// The square-off rules as pure functions over plain data (no storage, no I/O), so each rule
// is tested at its boundaries on its own. Prices are integer paise (price * 100) here: tick
// and band checks on floats go wrong (0.15 % 0.05 !== 0).
import type { OrderStatus, Refusal, Segment, Side } from "../contract/index.ts";

export const STATUS_RANK: Record<OrderStatus, number> = {
	PENDING: 0,
	SENT: 1,
	OPEN: 2,
	COMPLETE: 3,
	REJECTED: 3,
	CANCELLED: 3,
	FAILED: 3,
};

/** "123.45" or 123.45 -> 12345; null when it is not a positive amount with at most 2 decimals. */
export function toPaise(price: string | number): number | null {
	const text = typeof price === "number" ? String(price) : price;
	if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
	const [whole, frac = ""] = text.split(".");
	const paise = Number(whole) * 100 + Number(frac.padEnd(2, "0"));
	return Number.isSafeInteger(paise) && paise > 0 ? paise : null;
}

export const fromPaise = (paise: number) => `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, "0")}`;

/** India's markets keep IST, UTC+5:30 all year (no daylight saving). */
const IST_OFFSET_MS = 330 * 60_000;
const DAY_MS = 86_400_000;

/** The instant the trading day (midnight IST) holding `nowMs` began, as ISO text. */
export const tradingDayStart = (nowMs: number) =>
	new Date(Math.floor((nowMs + IST_OFFSET_MS) / DAY_MS) * DAY_MS - IST_OFFSET_MS).toISOString();

/** A long closes with SELL, a short with BUY. */
export const exitSide = (netQty: number): Side => (netQty > 0 ? "SELL" : "BUY");

/** Largest single order: whole lots within the freeze quantity (no freeze: no limit). */
export function sliceSize(lotSize: number, freezeQty: number | null): number {
	if (freezeQty === null) return Number.POSITIVE_INFINITY;
	return Math.max(lotSize, Math.floor(freezeQty / lotSize) * lotSize);
}

/** Splits an exit into orders of at most the slice size; the last one takes the remainder. */
export function slice(quantity: number, lotSize: number, freezeQty: number | null): number[] {
	const size = sliceSize(lotSize, freezeQty);
	const out: number[] = [];
	for (let left = quantity; left > 0; left -= Math.min(size, left)) out.push(Math.min(size, left));
	return out;
}

export interface ExitLimits {
	segment: Segment;
	lotSize: number;
	tickPaise: number;
	bandLowPaise: number | null;
	bandHighPaise: number | null;
}

/** A position's limits in the units checkExit works in (lots, paise). */
export function exitLimits(p: {
	segment: Segment;
	lotSize: number;
	tickSize: string;
	priceBandLow?: string | null;
	priceBandHigh?: string | null;
}): ExitLimits {
	return {
		segment: p.segment,
		lotSize: p.lotSize,
		tickPaise: toPaise(p.tickSize) ?? 1,
		bandLowPaise: p.priceBandLow ? toPaise(p.priceBandLow) : null,
		bandHighPaise: p.priceBandHigh ? toPaise(p.priceBandHigh) : null,
	};
}

/** Checks one exit against its position; returns the quantity to exit or why not. */
export function checkExit(
	limits: ExitLimits,
	available: number,
	req: { quantity?: number; orderType: "MARKET" | "LIMIT"; pricePaise?: number },
): { ok: true; quantity: number } | { ok: false; refusal: Refusal } {
	const quantity = req.quantity ?? available;
	if (quantity === 0) return { ok: false, refusal: { code: "NOTHING_TO_EXIT", detail: "this position has nothing left to exit" } };
	if (quantity > available) {
		return {
			ok: false,
			refusal: {
				code: "QTY_EXCEEDS_POSITION",
				detail: `quantity ${quantity} exceeds the ${available} open and not already being exited`,
			},
		};
	}
	if (quantity % limits.lotSize !== 0) {
		return {
			ok: false,
			refusal: { code: "NOT_LOT_MULTIPLE", detail: `quantity must be a multiple of the lot size ${limits.lotSize}` },
		};
	}
	if (req.orderType === "LIMIT" && req.pricePaise !== undefined) {
		if (req.pricePaise % limits.tickPaise !== 0) {
			return {
				ok: false,
				refusal: { code: "PRICE_NOT_ON_TICK", detail: `price must be a multiple of the tick ${fromPaise(limits.tickPaise)}` },
			};
		}
		const low = limits.bandLowPaise;
		const high = limits.bandHighPaise;
		if ((low !== null && req.pricePaise < low) || (high !== null && req.pricePaise > high)) {
			return {
				ok: false,
				refusal: {
					code: "PRICE_OUTSIDE_BAND",
					detail: `price must be within today's band ${low === null ? "-" : fromPaise(low)} .. ${high === null ? "-" : fromPaise(high)}`,
				},
			};
		}
	}
	return { ok: true, quantity };
}

/**
 * Exit-all order: every short leg (BUY to close) before every long leg. Done globally rather
 * than per underlying: simpler, and it still closes each short before the longs hedging it.
 * Within a side, grouped by underlying so a spread's legs go out together.
 */
export function exitAllOrder<P extends { netQty: number; underlying: string }>(positions: P[]): P[] {
	return [...positions].sort((a, b) => Number(a.netQty > 0) - Number(b.netQty > 0) || a.underlying.localeCompare(b.underlying));
}
